package decode

import "strconv"

var (
	lldpTIASubtypes = map[uint8]string{
		1: "LLDP-MED Capabilities", 2: "Network policy", 3: "Location identification",
		4: "Extended power-via-MDI", 5: "Inventory - hardware revision",
		6: "Inventory - firmware revision", 7: "Inventory - software revision",
		8: "Inventory - serial number", 9: "Inventory - manufacturer name",
		10: "Inventory - model name", 11: "Inventory - asset ID",
	}
	lldpTIAInventory = map[uint8]string{
		5: "Hardware revision", 6: "Firmware revision", 7: "Software revision", 8: "Serial number",
		9: "Manufacturer name", 10: "Model name", 11: "Asset ID",
	}
	lldpTIACaps = []bitTok{
		{1 << 0, "LLDP-MED capabilities"}, {1 << 1, "network policy"},
		{1 << 2, "location identification"}, {1 << 3, "extended power via MDI-PSE"},
		{1 << 4, "extended power via MDI-PD"}, {1 << 5, "Inventory"},
	}
	lldpTIADeviceTypes = map[uint8]string{
		1: "endpoint class 1", 2: "endpoint class 2", 3: "endpoint class 3", 4: "network connectivity",
	}
	lldpTIAApps = map[uint8]string{
		1: "voice", 2: "voice signaling", 3: "guest voice", 4: "guest voice signaling",
		5: "softphone voice", 6: "video conferencing", 7: "streaming video", 8: "video signaling",
	}
	lldpTIAPolicyBits = []bitTok{{1 << 7, "Unknown"}, {1 << 6, "Tagged"}, {1 << 5, "reserved"}}
	lldpTIALocFormats = map[uint8]string{1: "coordinate-based LCI", 2: "civic address LCI", 3: "ECS ELIN"}
	lldpTIAAltitude   = map[uint8]string{1: "meters", 2: "floors"}
	lldpTIADatum      = map[uint8]string{
		1: "World Geodesic System 1984", 2: "North American Datum 1983 (NAVD88)",
		3: "North American Datum 1983 (MLLW)",
	}
	lldpTIACATypes = map[uint8]string{
		1: "national subdivisions (state,canton,region,province,prefecture)",
		2: "county, parish, gun, district", 3: "city, township, shi",
		4: "city division, borough, city district, ward chou", 5: "neighborhood, block", 6: "street",
	}
	lldpTIALCIWhat = map[uint8]string{
		0: "location of DHCP server",
		1: "location of the network element believed to be closest to the client",
		2: "location of the client",
	}
	lldpTIAPowerSource   = map[uint8]string{1: "PSE - primary power source", 2: "local - backup power source", 3: "PSE+local - reserved"}
	lldpTIAPowerPriority = map[uint8]string{1: "critical", 2: "high", 3: "low"}
)

// lldpTIA is lldp_private_tia_print (LLDP-MED, ANSI/TIA-1057); true asks
// for a hex dump.
func (p *Printer) lldpTIA(b []byte, n int) bool {
	if n < 4 {
		return false
	}
	sub := b[3]
	p.lldpSubtype(lldpTIASubtypes, sub)
	switch sub {
	case 1:
		if n < 7 {
			return false
		}
		caps := p.be16(b, 4)
		p.s("\n\t    Media capabilities [")
		p.s(bitTokStr(lldpTIACaps, uint32(caps), "none"))
		p.s("] (0x")
		p.hexw(uint64(caps), 4)
		p.s(")\n\t    Device type [")
		p.s(tokStr(lldpTIADeviceTypes, b[6], "unknown"))
		p.s("] (0x")
		p.hexw(uint64(b[6]), 2)
		p.c(')')
	case 2:
		if n < 8 {
			return false
		}
		p.s("\n\t    Application type [")
		p.s(tokStr(lldpTIAApps, b[4], "none"))
		p.s("] (0x")
		p.hexw(uint64(b[4]), 2)
		p.s("), Flags [")
		p.s(bitTokStr(lldpTIAPolicyBits, uint32(b[5]), "none"))
		p.s("]\n\t    Vlan id ")
		p.u(uint64(p.be16(b, 5) & 0x1ffe >> 1))
		v := p.be16(b, 6)
		p.s(", L2 priority ")
		p.u(uint64(v & 0x1ff >> 6))
		p.s(", DSCP value ")
		p.u(uint64(v & 0x3f))
	case 3:
		if n < 5 {
			return false
		}
		format := b[4]
		p.s("\n\t    Location data format ")
		p.s(tokStr(lldpTIALocFormats, format, "unknown"))
		p.s(" (0x")
		p.hexw(uint64(format), 2)
		p.c(')')
		switch format {
		case 1:
			if n < 21 {
				return false
			}
			latlon := func(off int) uint64 { return uint64(b[off]&3)<<32 | uint64(p.be32(b, off+1)) }
			p.s("\n\t    Latitude resolution ")
			p.u(uint64(b[5] >> 2))
			p.s(", latitude value ")
			p.u(latlon(5))
			p.s("\n\t    Longitude resolution ")
			p.u(uint64(b[10] >> 2))
			p.s(", longitude value ")
			p.u(latlon(10))
			p.s("\n\t    Altitude type ")
			p.s(tokStr(lldpTIAAltitude, b[15]>>4, "unknown"))
			p.s(" (")
			p.u(uint64(b[15] >> 4))
			p.s(")\n\t    Altitude resolution ")
			p.u(uint64(p.be16(b, 15) >> 6 & 0x3f))
			p.s(", altitude value 0x")
			p.hex(uint64(p.be32(b, 16) & 0x3fffffff))
			p.s("\n\t    Datum ")
			p.s(tokStr(lldpTIADatum, b[20], "unknown"))
			p.s(" (0x")
			p.hexw(uint64(b[20]), 2)
			p.c(')')
		case 2:
			if n < 6 {
				return false
			}
			lci := int(b[5])
			if lci < 3 || n < 7+lci {
				return false
			}
			p.s("\n\t    LCI length ")
			p.i(lci)
			p.s(", LCI what ")
			p.s(tokStr(lldpTIALCIWhat, b[6], "unknown"))
			p.s(" (0x")
			p.hexw(uint64(b[6]), 2)
			p.s("), Country-code ")
			p.printzp(b[7:], 2)
			lci -= 3
			off := 9
			for lci > 0 {
				if lci < 2 {
					return false
				}
				typ, l := b[off], int(b[off+1])
				off += 2
				lci -= 2
				p.s("\n\t      CA type '")
				p.s(tokStr(lldpTIACATypes, typ, "unknown"))
				p.s("' (")
				p.u(uint64(typ))
				p.s("), length ")
				p.i(l)
				p.s(": ")
				if typ == 0 || l == 0 || lci < l {
					return false
				}
				p.printzp(b[off:], l)
				off += l
				lci -= l
			}
		case 3:
			p.s("\n\t    ECS ELIN id ")
			p.printzp(b[5:], n-5)
		default:
			p.s("\n\t    Location ID ")
			p.unknownData(b[5:], "\n\t      ", n-5)
		}
	case 4:
		if n < 7 {
			return false
		}
		t := b[4]
		p.s("\n\t    Power type [")
		if t&3 != 0 {
			p.s("PD device")
		} else {
			p.s("PSE device")
		}
		p.s("], Power source [")
		p.s(tokStr(lldpTIAPowerSource, t&0x30>>4, "none"))
		p.s("]\n\t    Power priority [")
		p.s(tokStr(lldpTIAPowerPriority, t&0xf, "none"))
		p.s("] (0x")
		p.hexw(uint64(t&0xf), 2)
		p.c(')')
		power := p.be16(b, 5)
		if power < 1024 {
			p.s(", Power ")
			p.s(strconv.FormatFloat(float64(float32(power)/10), 'f', 1, 64))
			p.s(" Watts")
		} else {
			p.s(", Power ")
			p.u(uint64(power))
			p.s(" (Reserved)")
		}
	case 5, 6, 7, 8, 9, 10, 11:
		p.s("\n\t  ")
		p.s(lldpTIAInventory[sub])
		p.c(' ')
		p.printzp(b[4:], n-4)
	default:
		return true
	}
	return false
}
