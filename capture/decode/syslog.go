package decode

// Syslog over UDP (RFC 3164/5424, port 514) as tcpdump 4.99's syslog_print
// prints it: facility and severity from the <PRI> prefix, and with -v the
// message text.

var syslogFacilities = []string{"kernel", "user", "mail", "daemon", "auth", "syslog", "lpr",
	"news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var syslogSeverities = []string{"emergency", "alert", "critical", "error", "warning",
	"notice", "info", "debug"}

func (p *Printer) syslog(b []byte, length int) {
	p.proto = "syslog"
	if p.u8(b, 0) != '<' {
		p.s(" (invalid)")
		return
	}
	off, pri := 1, 0
	// At most three digits, as tcpdump reads them.
	for off <= 3 && p.u8(b, off) >= '0' && b[off] <= '9' {
		pri = pri*10 + int(b[off]-'0')
		off++
	}
	if p.u8(b, off) != '>' {
		p.s(" (invalid)")
		return
	}
	off++
	facility := (pri & 0x3f8) >> 3
	severity := pri & 7
	fac := "unknown (" + itoa10(facility) + ")"
	if facility < len(syslogFacilities) {
		fac = syslogFacilities[facility]
	}
	sev := syslogSeverities[severity]
	if p.opts.Verbose == 0 {
		p.s("SYSLOG ")
		p.s(fac)
		p.c('.')
		p.s(sev)
		p.s(", length: ")
		p.i(length)
		return
	}
	p.s("SYSLOG, length: ")
	p.i(length)
	p.s("\n\tFacility ")
	p.s(fac)
	p.s(" (")
	p.i(facility)
	p.s("), Severity ")
	p.s(sev)
	p.s(" (")
	p.i(severity)
	p.s(")\n\tMsg: ")
	for ; off < length; off++ {
		p.safeChar(p.u8(b, off))
	}
	if p.opts.Verbose > 1 {
		p.unknownData(b, "\n\t", length)
	}
}
