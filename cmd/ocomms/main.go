// Command ocomms is the OComms homeserver and its admin tools.
//
//	ocomms [run] [-config FILE]        start the homeserver (the default)
//	ocomms generate-config [flags]     write a commented configuration file
//	ocomms check-config [-config FILE] validate a configuration and exit
//	ocomms create-user [-admin] NAME   create a user (password prompted)
//	ocomms reset-password USER         set a new password, log out every device
//	ocomms make-admin [-revoke] USER   grant or revoke server admin rights
//	ocomms registration-token create|list|delete
//	ocomms version                     print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env cmdEnv) error
}

// cmdEnv is the process's surroundings, passed in so commands can be tested
// in-process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

func (e cmdEnv) getenv(key string) string {
	for _, kv := range e.environ {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			return kv[len(key)+1:]
		}
	}
	return ""
}

func commands() []command {
	return []command{
		{"run", "start the homeserver (the default command)", runServer},
		{"generate-config", "write a fully commented configuration file", generateConfig},
		{"check-config", "validate a configuration file and exit", checkConfig},
		{"healthcheck", "exit 0 when a running server answers /health (for container health checks)", healthcheck},
		{"create-user", "create a user in the database, e.g. the first admin: create-user -admin NAME", createUser},
		{"reset-password", "set a user's password and log out all their devices", resetPassword},
		{"make-admin", "grant (or with -revoke take away) server admin rights", makeAdmin},
		{"registration-token", "create, list or delete registration tokens", registrationToken},
		{"version", "print the version", func(_ context.Context, _ []string, env cmdEnv) error {
			_, err := fmt.Fprintln(env.stdout, "ocomms", version)
			return err
		}},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	env := cmdEnv{stdin: os.Stdin, stdout: stdout, stderr: stderr, environ: environ}
	name := "run"
	if len(args) > 0 && isHelp(args[0]) {
		printUsage(stdout)
		return exitOK
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, env)
		if errors.Is(err, flag.ErrHelp) {
			// The flag package has printed the command's usage.
			return exitOK
		}
		if err != nil {
			fmt.Fprintf(stderr, "ocomms %s: %v\n", name, err)
			if isUsageError(err) {
				return exitUsage
			}
			return exitFailure
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "ocomms: unknown command %q\n\n", name)
	printUsage(stderr)
	return exitUsage
}

// isHelp reports whether arg asks for the list of commands. -h after a
// command name is that command's flag and prints its flags instead.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: ocomms [COMMAND] [FLAGS]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-18s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun ocomms COMMAND -help for a command's flags.\n")
}
