// Command cp is a small static cp(1) for the OLM image that hack/tools.mk builds.
// Upstream's image is distroless/static:debug with busybox's cp at /bin/cp, and the
// catalog operator runs it in its pods:
//
//	/bin/cp -Rv /bin/cpb /util/cpb                        (bundle unpack Job, "util")
//	cp /bin/copy-content /utilities/copy-content          (catalog pod, extractContent)
//
// Usage: cp [-R|-r|-a] [-v] [-f] [-p] SRC... DEST. DEST may be an existing directory
// (each SRC is copied into it) or, with a single SRC, the path of the copy. Modes are
// always kept; a directory needs -R (or -r, -a); symbolic links are copied as links
// under -R and followed otherwise. Options may be grouped (-Rv).
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

type options struct{ recursive, verbose bool }

func main() {
	var o options
	var args []string
	flags := true
	for _, a := range os.Args[1:] {
		if flags && a == "--" {
			flags = false
			continue
		}
		if flags && len(a) > 1 && strings.HasPrefix(a, "-") {
			for _, c := range a[1:] {
				switch c {
				case 'R', 'r', 'a':
					o.recursive = true
				case 'v':
					o.verbose = true
				case 'f', 'p', 'P', 'd':
					// -f: files are replaced anyway; -p: modes are kept; -P/-d: links are
					// copied as links under -R.
				default:
					fail(fmt.Errorf("unsupported option -%c", c))
				}
			}
			continue
		}
		args = append(args, a)
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cp [-Rrav] [-f] [-p] SRC... DEST")
		os.Exit(2)
	}
	srcs, dest := args[:len(args)-1], args[len(args)-1]
	st, err := os.Stat(dest)
	destIsDir := err == nil && st.IsDir()
	if len(srcs) > 1 && !destIsDir {
		fail(fmt.Errorf("target %q is not a directory", dest))
	}
	failed := false
	for _, src := range srcs {
		target := dest
		if destIsDir {
			target = filepath.Join(dest, filepath.Base(filepath.Clean(src)))
		}
		if err := o.copy(src, target); err != nil {
			fmt.Fprintln(os.Stderr, "cp:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cp:", err)
	os.Exit(1)
}

func (o options) copy(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return o.copyFile(src, dst, st.Mode().Perm())
	}
	if !o.recursive {
		return fmt.Errorf("-R not specified; omitting directory %q", src)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, info.Mode().Perm()|0o700); err != nil {
				return err
			}
			o.log(p, target)
			return nil
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
			o.log(p, target)
			return nil
		case info.Mode().IsRegular():
			return o.copyFile(p, target, info.Mode().Perm())
		default:
			return fmt.Errorf("%q: unsupported file type", p)
		}
	})
}

func (o options) copyFile(src, dst string, mode fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	if err := out.Chmod(mode); err != nil {
		return err
	}
	o.log(src, dst)
	return nil
}

func (o options) log(src, dst string) {
	if o.verbose {
		fmt.Printf("'%s' -> '%s'\n", src, dst)
	}
}
