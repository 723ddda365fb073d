// Package nsutil opens Linux network namespaces and runs code and sockets inside them.
package nsutil
