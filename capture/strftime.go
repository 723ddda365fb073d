package capture

import (
	"strconv"
	"strings"
	"time"
)

// Strftime formats t like strftime(3) in the C locale, for tcpdump -G file
// name patterns. Unknown conversions are kept as written.
func Strftime(pattern string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' || i+1 == len(pattern) {
			b.WriteByte(c)
			continue
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			pad(&b, t.Year()%100, 2)
		case 'C':
			pad(&b, t.Year()/100, 2)
		case 'm':
			pad(&b, int(t.Month()), 2)
		case 'd':
			pad(&b, t.Day(), 2)
		case 'e':
			if t.Day() < 10 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(t.Day()))
		case 'H':
			pad(&b, t.Hour(), 2)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(&b, h, 2)
		case 'M':
			pad(&b, t.Minute(), 2)
		case 'S':
			pad(&b, t.Second(), 2)
		case 'j':
			pad(&b, t.YearDay(), 3)
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b.WriteByte(sign)
			pad(&b, off/3600, 2)
			pad(&b, off%3600/60, 2)
		case 'F':
			b.WriteString(Strftime("%Y-%m-%d", t))
		case 'T':
			b.WriteString(Strftime("%H:%M:%S", t))
		case 'D':
			b.WriteString(Strftime("%m/%d/%y", t))
		case 'R':
			b.WriteString(Strftime("%H:%M", t))
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte('%')
			b.WriteByte(pattern[i])
		}
	}
	return b.String()
}

func pad(b *strings.Builder, v, width int) {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}
