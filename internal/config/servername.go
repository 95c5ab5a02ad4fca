package config

import (
	"github.com/ocomms/ocomms/spec/id"
)

func validServerName(name string) error {
	_, err := id.ParseServerName(name)
	return err
}
