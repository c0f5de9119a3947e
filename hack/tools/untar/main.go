// Command tar is the small static tar(1) of the scorecard untar image that hack/tools.mk
// builds (make -f hack/tools.mk scorecard-untar). `operator-sdk scorecard` gives each test
// pod an init container from --untar-image that runs, with no command of its own (so
// the image's PATH finds /bin/tar):
//
//	tar xvzf /scorecard/bundle.tar.gz -C /scorecard-bundle
//
// Upstream's image (quay.io/operator-framework/scorecard-untar) is a ubi-minimal with
// GNU tar. This one extracts only: x with optional v (list), z (gunzip, also detected
// from the gzip magic) and f FILE ("-" or none for stdin), then -C DIR; options may be
// grouped with or without a leading dash (xvzf, -xvzf, -x -v -z -f FILE). Regular
// files, directories and symbolic links are extracted with their modes; an entry
// that would land outside DIR is refused.
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

type options struct {
	extract, verbose, gzip bool
	file, dir              string
}

func main() {
	o, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "tar: %v\nusage: tar x[v][z]f FILE [-C DIR]\n", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "tar: %v\n", err)
		os.Exit(1)
	}
}

func parse(args []string) (options, error) {
	o := options{file: "-", dir: "."}
	// A leading "tar" word is skipped, so that the binary also works as an entrypoint
	// that is given the whole command line as arguments.
	if len(args) > 0 && args[0] == "tar" {
		args = args[1:]
	}
	// GNU tar's old style: the first word holds the option letters without a dash.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args[0] = "-" + args[0]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return o, fmt.Errorf("unexpected argument %q (member names are not supported)", a)
		}
		if strings.HasPrefix(a, "--directory=") {
			o.dir = strings.TrimPrefix(a, "--directory=")
			continue
		}
		if strings.HasPrefix(a, "--file=") {
			o.file = strings.TrimPrefix(a, "--file=")
			continue
		}
		for _, c := range a[1:] {
			switch c {
			case 'x':
				o.extract = true
			case 'v':
				o.verbose = true
			case 'z':
				o.gzip = true
			case 'f', 'C':
				if i+1 >= len(args) {
					return o, fmt.Errorf("option -%c needs an argument", c)
				}
				i++
				if c == 'f' {
					o.file = args[i]
				} else {
					o.dir = args[i]
				}
			default:
				return o, fmt.Errorf("unsupported option -%c", c)
			}
		}
	}
	if !o.extract {
		return o, errors.New("only extraction (x) is supported")
	}
	return o, nil
}

func run(o options) error {
	var in io.Reader = os.Stdin
	if o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReader(in)
	if magic, err := br.Peek(2); o.gzip || (err == nil && magic[0] == 0x1f && magic[1] == 0x8b) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		return extract(tar.NewReader(zr), o)
	}
	return extract(tar.NewReader(br), o)
}

func extract(tr *tar.Reader, o options) error {
	root, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s: refusing a path outside %s", h.Name, o.dir)
		}
		dest := filepath.Join(root, name)
		if o.verbose {
			fmt.Println(h.Name)
		}
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dest, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return err
			}
			if err := writeFile(dest, tr, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return err
			}
			_ = os.Remove(dest)
			if err := os.Symlink(h.Linkname, dest); err != nil {
				return err
			}
		default:
			fmt.Fprintf(os.Stderr, "tar: %s: skipping entry of type %q\n", h.Name, h.Typeflag)
		}
	}
}

func writeFile(dest string, r io.Reader, mode fs.FileMode) error {
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
