package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
)

// The admin commands work straight on the configured database, without
// the server and without logging in, so an operator can create the first
// admin or recover an account when every login path is broken. They are
// safe while the server runs: SQLite waits for the server's writes and
// PostgreSQL serves both.

// parseInterleaved parses flags given before or after the positional
// arguments ("create-user alice -admin" as well as "create-user -admin
// alice") and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// withAccounts opens the database of the configuration at path, brings
// the accounts tables up to date and runs fn.
func withAccounts(ctx context.Context, path string, env cmdEnv, fn func(a *accounts.Accounts) error) error {
	cfg, err := config.Load(path, env.environ)
	if errors.Is(err, os.ErrNotExist) {
		return usageError{fmt.Errorf("%w (start the server once, or name the file with -config)", err)}
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if cfg.Database.Backend == storage.BackendSQLite {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	db, err := storage.Open(ctx, storage.Config{
		Backend:     cfg.Database.Backend,
		SQLitePath:  cfg.Path(cfg.Database.SQLitePath),
		PostgresDSN: cfg.Database.PostgresDSN,
	}, log)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	if err := checkServerName(ctx, db, cfg.ServerName); err != nil {
		return err
	}
	a := accounts.New(db, nil, cfg, log)
	if err := db.Migrate(ctx, a.Name(), a.Migrations()); err != nil {
		return fmt.Errorf("migrating accounts: %w", err)
	}
	return fn(a)
}

// checkServerName refuses to work on a database that a server with
// another name created: the users would get the wrong domain.
func checkServerName(ctx context.Context, db *storage.DB, serverName string) error {
	var stored string
	err := db.QueryRow(ctx, `SELECT info_value FROM server_info WHERE info_key = 'server_name'`).Scan(&stored)
	if err != nil {
		// No server has started on this database yet.
		return nil
	}
	if stored != serverName {
		return usageError{fmt.Errorf("the database belongs to server %q but the configuration says %q", stored, serverName)}
	}
	return nil
}

// passwordFlags are the ways to give a new password.
type passwordFlags struct {
	file, value *string
}

func addPasswordFlags(fs *flag.FlagSet) passwordFlags {
	return passwordFlags{
		file:  fs.String("password-file", "", "read the password from this file (its first line)"),
		value: fs.String("password", "", "the password (visible in the process list: prefer -password-file or the prompt)"),
	}
}

// read returns the password from the flags, or asks for it: twice without
// echo on a terminal, else one line from standard input.
func (p passwordFlags) read(env cmdEnv) (string, error) {
	switch {
	case *p.file != "" && *p.value != "":
		return "", usageError{errors.New("give -password-file or -password, not both")}
	case *p.value != "":
		return *p.value, nil
	case *p.file != "":
		data, err := os.ReadFile(*p.file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		fmt.Fprint(env.stderr, "Confirm password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords do not match")
		}
		return string(first), nil
	}
	if env.stdin == nil {
		return "", usageError{errors.New("no password: use -password-file")}
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func oneArg(positional []string, what string) (string, error) {
	if len(positional) != 1 {
		return "", usageError{fmt.Errorf("expected one %s, got %d arguments", what, len(positional))}
	}
	return positional[0], nil
}

func createUser(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("create-user", env)
	path := configPathFlag(fs, env)
	admin := fs.Bool("admin", false, "make the user a server admin")
	pw := addPasswordFlags(fs)
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	localpart, err := oneArg(positional, "user name")
	if err != nil {
		return err
	}
	password, err := pw.read(env)
	if err != nil {
		return err
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		userID, err := a.CreateUser(ctx, localpart, password, *admin)
		if err != nil {
			return err
		}
		role := "user"
		if *admin {
			role = "admin"
		}
		_, err = fmt.Fprintf(env.stdout, "created %s %s\n", role, userID)
		return err
	})
}

func resetPassword(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("reset-password", env)
	path := configPathFlag(fs, env)
	pw := addPasswordFlags(fs)
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	name, err := oneArg(positional, "user")
	if err != nil {
		return err
	}
	password, err := pw.read(env)
	if err != nil {
		return err
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		userID, err := a.UserID(name)
		if err != nil {
			return usageError{err}
		}
		if err := a.ResetPassword(ctx, userID, password); err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.stdout, "password of %s changed; every device was logged out\n", userID)
		return err
	})
}

func makeAdmin(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("make-admin", env)
	path := configPathFlag(fs, env)
	revoke := fs.Bool("revoke", false, "take server admin rights away instead")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	name, err := oneArg(positional, "user")
	if err != nil {
		return err
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		userID, err := a.UserID(name)
		if err != nil {
			return usageError{err}
		}
		if err := a.SetAdmin(ctx, userID, !*revoke); err != nil {
			return err
		}
		if *revoke {
			_, err = fmt.Fprintf(env.stdout, "%s is no longer a server admin\n", userID)
		} else {
			_, err = fmt.Fprintf(env.stdout, "%s is a server admin\n", userID)
		}
		return err
	})
}
