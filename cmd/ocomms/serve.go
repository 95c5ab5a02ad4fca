package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ocomms/ocomms/internal/server"
)

func runServer(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("run", env)
	path := configPathFlag(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, createdConfig, err := loadOrCreateConfig(*path, flagSet(fs, "config"), env)
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg.Logging, env.stderr)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if createdConfig || srv.FirstStart {
		printFirstStart(env, *path, cfg.ServerName, srv)
	}
	return srv.Run(ctx)
}

func printFirstStart(env cmdEnv, configPath, serverName string, srv *server.Server) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	fmt.Fprintf(env.stdout, `
OComms is starting for the first time.

  server name:  %s
  config file:  %s
  signing key:  %s   (back it up)
  client API:   http://%s

Edit server_name in the config file now if this server will federate: it
cannot change once users exist.

Create the first admin user (from another terminal; you are asked for the
password):

  %s create-user -config %s -admin admin

`, serverName, abs(configPath), srv.SigningKeyPath(), srv.Addr("client"), os.Args[0], abs(configPath))
}
