package server

import (
	"context"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
)

// Component is what a folder such as clientapi or roomserver gives the
// process: its tables, its bus streams and its routes. Adding a component is
// adding it to the list in New; nothing else changes.
type Component interface {
	Name() string
	Migrations() []storage.Migration
	Streams() []bus.StreamSpec
	Register(routes httpapi.Routes)
}

// Runner is a component with background work (bus consumers, timers). Start
// must return once the work is running; Stop must return within ctx.
type Runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}
