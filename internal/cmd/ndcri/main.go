package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

const usage = `usage: ndcri [-r unix:///SOCKET] [-timeout D] COMMAND [ARGS]

Commands that talk to the runtime (-r is required):
  wait                                  until the runtime and its network are ready
  run-pod -name N -namespace NS -uid U [-cgroup-parent P] [-image REF]
          [-container NAME] [-host-root DIR] [-- CMD...]
                                        run a pod sandbox and one container in it
  create-container -pod ID -name N [-image REF] [-- CMD...]
                                        create and start a container in a pod
  pods                                  list pod sandboxes (JSON)
  containers [-pod ID]                  list containers (JSON)
  pod-status ID                         sandbox status with the runtime's verbose info
  stop-container ID                     stop a container
  rm-container ID                       stop and remove a container
  rm-pods                               stop and remove every pod sandbox

Commands that do not:
  image-build -o FILE [-name REF] [-busybox PATH | -no-busybox] [-add SRC:DST]
                                        write a busybox OCI image-layout tarball
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "ndcri: %v\n", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("bad usage (see ndcri -h)")

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ndcri", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	endpoint := fs.String("r", "", "CRI endpoint, unix:///PATH or PATH")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit for the whole command")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if cmd == "image-build" {
		return cmdImageBuild(rest)
	}
	if *endpoint == "" {
		return fmt.Errorf("%s needs -r unix:///SOCKET: %w", cmd, errUsage)
	}
	c, err := dial(*endpoint)
	if err != nil {
		return err
	}
	defer c.close()

	var out any
	switch cmd {
	case "wait":
		err = c.waitReady(ctx)
	case "run-pod":
		out, err = c.cmdRunPod(ctx, rest)
	case "create-container":
		out, err = c.cmdCreateContainer(ctx, rest)
	case "pods":
		out, err = c.listPods(ctx)
	case "containers":
		out, err = c.cmdContainers(ctx, rest)
	case "pod-status":
		var id string
		if id, err = oneArg(cmd, rest); err == nil {
			out, err = c.podStatus(ctx, id)
		}
	case "stop-container":
		var id string
		if id, err = oneArg(cmd, rest); err == nil {
			err = c.stopContainer(ctx, id)
		}
	case "rm-container":
		var id string
		if id, err = oneArg(cmd, rest); err == nil {
			err = c.removeContainer(ctx, id)
		}
	case "rm-pods":
		err = c.removeAllPods(ctx)
	default:
		return fmt.Errorf("unknown command %q: %w", cmd, errUsage)
	}
	if err != nil || out == nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func oneArg(cmd string, args []string) (string, error) {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return "", fmt.Errorf("%s takes one ID: %w", cmd, errUsage)
	}
	return args[0], nil
}
