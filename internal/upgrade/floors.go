// Package upgrade holds etcd's upgrade rules, the patch floors as data with
// their sources, and decides whether a cluster may go to a version: one
// minor at a time, every member at or above the floor of the next minor,
// back only while the cluster version has not moved. Pure.
package upgrade

// Floor is the lowest patch release of the previous minor every member
// must run before a cluster goes to minor To.
type Floor struct {
	// To is the minor being upgraded to, "3.6".
	To string
	// Min is the lowest release of the previous minor, "3.5.32".
	Min string
	// Source is where etcd says so.
	Source string
}

// Floors are etcd's upgrade prerequisites. Raise a floor here when etcd's
// upgrade guide does; the sources say when it last did.
var Floors = []Floor{
	{
		To: "3.6", Min: "3.5.32",
		// The guide asked for 3.5.20 (etcd-io/website#998), then 3.5.26
		// (zombie members, etcd.io/blog/2025/zombie_members_upgrade), then
		// 3.5.32 (etcd-io/website#1203, August 2026).
		Source: "https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/",
	},
	{
		To: "3.7", Min: "3.6.11",
		Source: "https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/",
	},
}

// V2Removed is the minor that removed the v2 store and cannot replay a v2
// request from its WAL: etcd's 3.7 upgrade guide and CHANGELOG-3.7, and
// this repository's e2e upgrade from 3.5.21, where a 3.7.3 member restarted
// seconds after its cluster reached 3.6 panicked on such an entry.
const V2Removed = "3.7"
