package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/fileutil"
)

// defaultConfigPath is where `make run` keeps its configuration, next to the
// data it describes.
const defaultConfigPath = "data/ocomms.yaml"

// usageError marks mistakes in flags or configuration (exit code 2), as
// opposed to failures while running.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u) || errors.Is(err, config.ErrInvalid)
}

func newFlags(name string, env cmdEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

func configPathFlag(fs *flag.FlagSet, env cmdEnv) *string {
	def := env.getenv("OCOMMS_CONFIG")
	if def == "" {
		def = defaultConfigPath
	}
	return fs.String("config", def, "configuration file (also OCOMMS_CONFIG)")
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func generateConfig(_ context.Context, args []string, env cmdEnv) error {
	fs := newFlags("generate-config", env)
	serverName := fs.String("server-name", "localhost", "the server's name: the domain part of user IDs")
	dataDir := fs.String("data-dir", "./data", "directory for the database, bus storage and signing key")
	out := fs.String("o", "", "write to this file instead of standard output (refuses to overwrite)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	data, err := config.Generate(*serverName, *dataDir)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = env.stdout.Write(data)
		return err
	}
	if _, err := os.Stat(*out); err == nil {
		return usageError{fmt.Errorf("%s already exists; remove it first or choose another path", *out)}
	}
	if err := fileutil.WriteAtomic(*out, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", *out)
	return nil
}

func checkConfig(_ context.Context, args []string, env cmdEnv) error {
	fs := newFlags("check-config", env)
	path := configPathFlag(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := config.Load(*path, env.environ); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s is valid\n", *path)
	return nil
}

// loadOrCreateConfig loads the configuration, writing a default one first
// when the file does not exist and was not named with -config: that is what
// makes `make run` on a fresh clone and a first `docker compose up` work. A
// file named on the command line must exist.
func loadOrCreateConfig(path string, explicit bool, env cmdEnv) (cfg config.Config, created bool, err error) {
	_, statErr := os.Stat(path)
	if errors.Is(statErr, fs.ErrNotExist) && !explicit {
		serverName := env.getenv("OCOMMS_SERVER_NAME")
		if serverName == "" {
			serverName = "localhost"
		}
		data, err := config.Generate(serverName, filepath.Dir(path))
		if err != nil {
			return config.Config{}, false, err
		}
		if err := fileutil.WriteAtomic(path, data, 0o600); err != nil {
			return config.Config{}, false, err
		}
		created = true
	}
	cfg, err = config.Load(path, env.environ)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return config.Config{}, false, usageError{fmt.Errorf("%w (create one with: ocomms generate-config -o %s)", err, path)}
	}
	return cfg, created, err
}
