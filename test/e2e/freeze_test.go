//go:build e2e

package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// freezer keeps a cluster's etcd processes stopped with SIGSTOP: their
// sockets stay open and accept connections, but nothing answers, which is
// what a hung machine looks like to a client. The suite runs as root on the
// kubelet's machine, so it sees the pods' processes in /proc. The kubelet
// restarts a container whose liveness probe fails; the freezer stops the
// new process too, until thawed.
type freezer struct {
	pods   map[types.UID]string
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	stopped map[int]bool
}

// freezeCluster stops the etcd processes of t's live pods, keeps stopping
// them until the spec ends (or thaw), and returns once each pod has a
// stopped etcd process.
func freezeCluster(ctx context.Context, t target) *freezer {
	pods, err := fw.LivePods(ctx, t)
	Expect(err).NotTo(HaveOccurred())
	Expect(pods).To(HaveLen(t.Size))
	return freezePods(ctx, pods)
}

// freezePods is freezeCluster for some of a cluster's pods.
func freezePods(ctx context.Context, pods []corev1.Pod) *freezer {
	fctx, cancel := context.WithCancel(context.Background())
	f := &freezer{pods: map[types.UID]string{}, cancel: cancel, done: make(chan struct{}), stopped: map[int]bool{}}
	for _, p := range pods {
		f.pods[p.UID] = p.Name
	}
	go f.run(fctx)
	DeferCleanup(f.thaw)
	Eventually(ctx, func() (map[string]bool, error) {
		return f.frozenPods()
	}).WithTimeout(30*time.Second).WithPolling(100*time.Millisecond).Should(HaveLen(len(pods)), "pods with a stopped etcd process")
	return f
}

func (f *freezer) run(ctx context.Context) {
	defer close(f.done)
	for {
		if pids, err := etcdProcesses(f.pods); err == nil {
			f.mu.Lock()
			for pid := range pids {
				if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
					f.stopped[pid] = true
				}
			}
			f.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// frozenPods names the pods whose etcd process is stopped now.
func (f *freezer) frozenPods() (map[string]bool, error) {
	pids, err := etcdProcesses(f.pods)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for pid, uid := range pids {
		if processState(pid) == "T" {
			out[f.pods[uid]] = true
		}
	}
	return out, nil
}

// thaw stops freezing and continues every process it stopped; safe to
// call more than once.
func (f *freezer) thaw() {
	f.cancel()
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	for pid := range f.stopped {
		_ = syscall.Kill(pid, syscall.SIGCONT)
		delete(f.stopped, pid)
	}
	// A process stopped by an earlier run of this spec cannot be left behind.
	if pids, err := etcdProcesses(f.pods); err == nil {
		for pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
}

// etcdProcesses finds the etcd processes of the given pods: the member's
// command line is a bare /usr/local/bin/etcd (its settings are in the
// environment), so a process is told by its name and by its cgroup, whose
// path carries the pod's UID (pod<uid> with the cgroupfs driver,
// pod<uid with underscores> with systemd's).
func etcdProcesses(pods map[types.UID]string) (map[int]types.UID, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]types.UID{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "etcd" {
			continue
		}
		cg, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err != nil {
			continue
		}
		for uid := range pods {
			s := string(uid)
			if strings.Contains(string(cg), "pod"+s) || strings.Contains(string(cg), "pod"+strings.ReplaceAll(s, "-", "_")) {
				out[pid] = uid
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no etcd process of these pods on this host")
	}
	return out, nil
}

// processState is the state letter of /proc/<pid>/stat (T: stopped).
func processState(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// pid (comm) state ...: comm may hold spaces, the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}
