// Command imgtool builds a container image from local files, without a base image
// and without Docker, and writes it as an image tarball ("docker save" layout) that
// `ctr images import` (and `crane push`) accept. It uses go-containerregistry.
//
//	imgtool -t TAG -o OUT.tar [flags] SRC[:DST] ...
//
// Each SRC is a file or directory on this machine, copied to DST in the image
// (a file defaults to /usr/local/bin/<name>; a directory defaults to / so that its
// contents become the image root). SRC may also be layer:FILE.tar[.gz] to add an
// existing tar file as its own layer. Unless -no-base is given, the image also
// holds /etc/passwd and /etc/group with root and nonroot (65532), /etc/nsswitch.conf,
// /home/nonroot and a world-writable /tmp. Timestamps are fixed, so the same input
// always gives the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type entry struct {
	hdr  *tar.Header
	data []byte
}

type layer struct{ entries map[string]*entry }

func (l *layer) dir(p string, mode int64, uid int) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" || p == "." {
		return
	}
	l.dir(path.Dir(p), 0o755, 0)
	if e, ok := l.entries[p]; ok && e.hdr.Typeflag == tar.TypeDir && uid == 0 && mode == 0o755 {
		return // keep an explicit mode/owner set earlier
	}
	l.entries[p] = &entry{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: epoch}}
}

func (l *layer) file(p string, mode int64, data []byte) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	l.dir(path.Dir(p), 0o755, 0)
	l.entries[p] = &entry{hdr: &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data)), ModTime: epoch}, data: data}
}

func (l *layer) symlink(p, target string) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	l.dir(path.Dir(p), 0o755, 0)
	l.entries[p] = &entry{hdr: &tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777, ModTime: epoch}}
}

func (l *layer) add(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		if dst == "" {
			dst = "/usr/local/bin/" + filepath.Base(src)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		l.file(dst, int64(st.Mode().Perm()), b)
		return nil
	}
	if dst == "" {
		dst = "/"
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := path.Join(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel != "." {
				l.dir(target, int64(info.Mode().Perm()), 0)
			}
		case info.Mode()&os.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			l.symlink(target, t)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			l.file(target, int64(info.Mode().Perm()), b)
		default:
			return fmt.Errorf("%s: unsupported file type", p)
		}
		return nil
	})
}

func (l *layer) tar() ([]byte, error) {
	names := make([]string, 0, len(l.entries))
	for n := range l.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := l.entries[n]
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, err
		}
		if e.data != nil {
			if _, err := tw.Write(e.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func main() {
	var (
		tag, out, user, workdir string
		noBase                  bool
		entrypoint, cmd, env    list
		mkdirs                  list
	)
	flag.StringVar(&tag, "t", "", "image reference to tag the image with (required)")
	flag.StringVar(&out, "o", "", "output tarball path (required)")
	flag.StringVar(&user, "user", "", "config User (e.g. 65532:65532)")
	flag.StringVar(&workdir, "workdir", "", "config WorkingDir")
	flag.BoolVar(&noBase, "no-base", false, "do not add /etc/passwd, /etc/group, /tmp, /home/nonroot")
	flag.Var(&entrypoint, "entrypoint", "entrypoint element (repeat for each argument)")
	flag.Var(&cmd, "cmd", "cmd element (repeat)")
	flag.Var(&env, "env", "KEY=VALUE (repeat)")
	flag.Var(&mkdirs, "mkdir", "PATH[:MODE[:UID]] extra directory, e.g. /var/lib/etcd:0700:65532 (repeat)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s -t TAG -o OUT.tar [flags] SRC[:DST]|layer:FILE.tar ...\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if tag == "" || out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(tag, out, user, workdir, noBase, entrypoint, cmd, env, mkdirs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "imgtool:", err)
		os.Exit(1)
	}
}

func run(tag, out, user, workdir string, noBase bool, entrypoint, cmd, env, mkdirs, srcs []string) error {
	ref, err := name.ParseReference(tag)
	if err != nil {
		return err
	}
	l := &layer{entries: map[string]*entry{}}
	if !noBase {
		l.file("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"))
		l.file("/etc/group", 0o644, []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"))
		l.file("/etc/nsswitch.conf", 0o644, []byte("hosts: files dns\n"))
		l.dir("/tmp", 0o1777, 0) // tar mode bits: sticky + rwx for all
		l.dir("/root", 0o700, 0)
		l.dir("/home/nonroot", 0o700, 65532)
	}
	for _, m := range mkdirs {
		parts := strings.Split(m, ":")
		mode, uid := int64(0o755), 0
		if len(parts) > 1 {
			v, err := strconv.ParseInt(parts[1], 8, 32)
			if err != nil {
				return fmt.Errorf("-mkdir %q: %v", m, err)
			}
			mode = v
		}
		if len(parts) > 2 {
			v, err := strconv.Atoi(parts[2])
			if err != nil {
				return fmt.Errorf("-mkdir %q: %v", m, err)
			}
			uid = v
		}
		l.dir(parts[0], mode, uid)
	}
	var extra []v1.Layer
	for _, s := range srcs {
		if strings.HasPrefix(s, "layer:") {
			p := strings.TrimPrefix(s, "layer:")
			lay, err := tarball.LayerFromFile(p)
			if err != nil {
				return err
			}
			extra = append(extra, lay)
			continue
		}
		src, dst := s, ""
		if i := strings.Index(s, ":"); i >= 0 {
			src, dst = s[:i], s[i+1:]
		}
		if err := l.add(src, dst); err != nil {
			return err
		}
	}
	var layers []v1.Layer
	if len(l.entries) > 0 {
		b, err := l.tar()
		if err != nil {
			return err
		}
		lay, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			return err
		}
		layers = append(layers, lay)
	}
	layers = append(layers, extra...)
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = entrypoint
	cf.Config.Cmd = cmd
	cf.Config.User = user
	cf.Config.WorkingDir = workdir
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	fmt.Printf("%s digest=%s id=%s file=%s\n", ref.Name(), d, id, out)
	return nil
}
