package nfexpr

import "strconv"

// Verdict codes of linux/netfilter.h and linux/netfilter/nf_tables.h.
const (
	VerdictDrop     = 0
	VerdictAccept   = 1
	VerdictQueue    = 3
	VerdictContinue = -1
	VerdictBreak    = -2
	VerdictJump     = -3
	VerdictGoto     = -4
	VerdictReturn   = -5
)

// VerdictString spells a verdict as nft does; chain is the target of jump
// and goto. A netfilter verdict keeps a queue number or errno in its upper
// bits: the queue number is printed ("queue 3"), the errno is not.
func VerdictString(code int32, chain string) string {
	switch code {
	case VerdictContinue:
		return "continue"
	case VerdictBreak:
		return "break"
	case VerdictJump:
		return "jump " + chain
	case VerdictGoto:
		return "goto " + chain
	case VerdictReturn:
		return "return"
	}
	if code < 0 {
		return "verdict " + strconv.Itoa(int(code))
	}
	switch code & 0xff {
	case VerdictDrop:
		return "drop"
	case VerdictAccept:
		return "accept"
	case 2:
		return "stolen"
	case VerdictQueue:
		return "queue " + strconv.Itoa(int(uint32(code)>>16))
	case 4:
		return "repeat"
	case 5:
		return "stop"
	}
	return "verdict " + strconv.Itoa(int(code))
}
