package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ocomms/ocomms/clientapi/accounts"
)

// registrationToken manages the tokens that let people register while
// registration.require_token is set.
func registrationToken(ctx context.Context, args []string, env cmdEnv) error {
	if len(args) == 0 {
		return usageError{errors.New("expected create, list or delete")}
	}
	switch args[0] {
	case "create":
		return createRegistrationToken(ctx, args[1:], env)
	case "list":
		return listRegistrationTokens(ctx, args[1:], env)
	case "delete":
		return deleteRegistrationToken(ctx, args[1:], env)
	}
	return usageError{fmt.Errorf("unknown subcommand %q: expected create, list or delete", args[0])}
}

func createRegistrationToken(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("registration-token create", env)
	path := configPathFlag(fs, env)
	token := fs.String("token", "", "the token (default: 16 random characters)")
	length := fs.Int("length", 16, "length of a generated token (1-64)")
	uses := fs.Int64("uses", 0, "how many registrations it allows (default: unlimited)")
	valid := fs.Duration("valid-for", 0, "how long it works, such as 72h (default: until deleted)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n := accounts.NewRegistrationToken{Token: *token, Length: *length}
	if flagSet(fs, "uses") {
		n.UsesAllowed = uses
	}
	if *valid < 0 {
		return usageError{errors.New("-valid-for must be positive")}
	}
	if *valid > 0 {
		exp := time.Now().Add(*valid).UnixMilli()
		n.ExpiryTime = &exp
	}
	if n.Token == "" && (n.Length < 1 || n.Length > 64) {
		return usageError{errors.New("-length must be between 1 and 64")}
	}
	if err := accounts.ValidateNewRegistrationToken(n, time.Now().UnixMilli()); err != nil {
		return usageError{err}
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		t, err := a.CreateRegistrationToken(ctx, n)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.stdout, t.Token)
		return err
	})
}

func listRegistrationTokens(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("registration-token list", env)
	path := configPathFlag(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		tokens, err := a.ListRegistrationTokens(ctx, nil)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TOKEN\tUSES ALLOWED\tPENDING\tCOMPLETED\tEXPIRES\tVALID")
		now := time.Now().UnixMilli()
		for _, t := range tokens {
			uses, expires := "unlimited", "never"
			if t.UsesAllowed != nil {
				uses = fmt.Sprint(*t.UsesAllowed)
			}
			if t.ExpiryTime != nil {
				expires = time.UnixMilli(*t.ExpiryTime).UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%v\n", t.Token, uses, t.Pending, t.Completed, expires, t.Valid(now))
		}
		return w.Flush()
	})
}

func deleteRegistrationToken(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("registration-token delete", env)
	path := configPathFlag(fs, env)
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	token, err := oneArg(positional, "token")
	if err != nil {
		return err
	}
	return withAccounts(ctx, *path, env, func(a *accounts.Accounts) error {
		if err := a.DeleteRegistrationToken(ctx, token); err != nil {
			return fmt.Errorf("%s: %w", token, err)
		}
		_, err := fmt.Fprintf(env.stdout, "deleted %s\n", token)
		return err
	})
}
