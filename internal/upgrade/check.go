package upgrade

import (
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Member is one member's name and the etcd version it reports ("" when it
// did not answer).
type Member struct {
	Name, Version string
}

// Verdict is whether the cluster may go to the target version now.
type Verdict struct {
	// Refused is true when the target must wait; the pods stay as they are.
	Refused bool
	// GoFirst is the release to go to before the target, "" when none
	// would help (a downgrade).
	GoFirst string
	// Message says why, for a condition.
	Message string
}

// Check decides whether members may move to target, given the cluster
// version etcd reports ("" when unknown). A member on the target's minor
// or one below, at or above that minor's floor, may go; a member on a
// higher minor may come back only while the cluster version has not
// reached that minor (a member that failed on a new version). Versions
// that do not parse are left to admission.
func Check(target string, members []Member, clusterVersion string) Verdict {
	to, err := semver.StrictNewVersion(target)
	if err != nil {
		return Verdict{}
	}
	cv, _ := semver.NewVersion(clusterVersion)
	for _, m := range members {
		v, err := semver.StrictNewVersion(m.Version)
		if err != nil || v.Major() != to.Major() {
			continue
		}
		if why := refusal(m.Name, v, to, cv); why.Refused {
			return why
		}
	}
	return Verdict{}
}

func refusal(name string, v, to, cluster *semver.Version) Verdict {
	switch {
	case v.Minor() > to.Minor():
		if cluster != nil && cluster.Minor() <= to.Minor() {
			return Verdict{}
		}
		return Verdict{Refused: true, Message: fmt.Sprintf(
			"member %s runs etcd %s and the cluster version is %s: etcd does not go back to %d.%d", name, v, clusterOrUnknown(cluster), to.Major(), to.Minor())}
	case v.Minor()+1 < to.Minor():
		return Verdict{Refused: true, GoFirst: firstStep(v), Message: fmt.Sprintf(
			"member %s runs etcd %s: etcd upgrades one minor version at a time; set spec.version to %s first",
			name, v, firstStep(v))}
	case v.Minor()+1 == to.Minor():
		f, ok := floorOf(fmt.Sprintf("%d.%d", to.Major(), to.Minor()))
		if !ok || !v.LessThan(semver.MustParse(f.Min)) {
			return Verdict{}
		}
		return Verdict{Refused: true, GoFirst: f.Min, Message: fmt.Sprintf(
			"member %s runs etcd %s: every member must run %s or later before %s (%s); set spec.version to %s first",
			name, v, f.Min, f.To, f.Source, f.Min)}
	}
	return Verdict{}
}

// firstStep is the release a member on v goes to first on its way up
// more than one minor: its own minor's floor if it is below it, else the
// next minor's floor (the release of the next minor the one after needs).
func firstStep(v *semver.Version) string {
	if f, ok := floorOf(fmt.Sprintf("%d.%d", v.Major(), v.Minor()+1)); ok && v.LessThan(semver.MustParse(f.Min)) {
		return f.Min
	}
	if f, ok := floorOf(fmt.Sprintf("%d.%d", v.Major(), v.Minor()+2)); ok {
		return f.Min
	}
	return fmt.Sprintf("the newest %d.%d release", v.Major(), v.Minor()+1)
}

func floorOf(minor string) (Floor, bool) {
	for _, f := range Floors {
		if f.To == minor {
			return f, true
		}
	}
	return Floor{}, false
}

func clusterOrUnknown(v *semver.Version) string {
	if v == nil {
		return "unknown"
	}
	return v.String()
}
