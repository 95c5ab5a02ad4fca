package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid wraps every configuration problem, so callers can tell a bad
// file from an I/O failure.
var ErrInvalid = errors.New("invalid configuration")

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "OCOMMS_"

// nonConfigEnv are OCOMMS_ variables that are not configuration keys and so
// are not reported as unknown.
var nonConfigEnv = []string{"OCOMMS_CONFIG", "OCOMMS_ALLOW_EPHEMERAL_DATA", "OCOMMS_TEST_"}

var durationType = reflect.TypeOf(time.Duration(0))

// Load reads the file at path, applies environment overrides from environ
// (os.Environ() form) and validates the result.
func Load(path string, environ []string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading config file: %w", err)
	}
	cfg, err := Parse(data, environ)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML over the defaults, applies environment overrides and
// validates. Unknown keys, in the file or the environment, are errors: a
// misspelt key silently ignored is a setting the operator thinks is on.
func Parse(data []byte, environ []string) (Config, error) {
	cfg := Defaults()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(doc.Content) > 0 {
		if err := decodeNode(doc.Content[0], reflect.ValueOf(&cfg).Elem(), ""); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func keyError(path string, line int, format string, args ...any) error {
	where := path
	if line > 0 {
		where = fmt.Sprintf("%s (line %d)", path, line)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, where, fmt.Sprintf(format, args...))
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// decodeNode walks the YAML tree alongside the struct so that every error
// can name the dotted key it is about.
func decodeNode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return nil
	}
	if v.Kind() == reflect.Struct && v.Type() != durationType {
		if n.Kind != yaml.MappingNode {
			return keyError(path, n.Line, "expected a mapping of keys")
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			keyPath := joinPath(path, k.Value)
			if seen[k.Value] {
				return keyError(keyPath, k.Line, "key appears twice")
			}
			seen[k.Value] = true
			field, ok := fieldByTag(v, k.Value)
			if !ok {
				return keyError(keyPath, k.Line, "unknown key")
			}
			if err := decodeNode(val, field, keyPath); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			return keyError(path, n.Line, "expected a list")
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeNode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return keyError(path, n.Line, "expected a single value, not a list or mapping")
	}
	if err := setScalar(v, n.Value); err != nil {
		return keyError(path, n.Line, "%v", err)
	}
	return nil
}

func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// setScalar converts text into the field's type; the same conversion serves
// YAML scalars and environment variables so both accept the same spellings.
func setScalar(v reflect.Value, text string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("expected a duration such as 30s or 5m, got %q", text)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(text)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("expected true or false, got %q", text)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("expected a number, got %q", text)
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("expected a whole number, got %q", text)
		}
		v.SetInt(i)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var items []string
		for _, s := range strings.Split(text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported configuration type %s", v.Type())
	}
	return nil
}

// envKeys maps every overridable key's environment variable name to its
// dotted path and field.
func envKeys(v reflect.Value, path string, out map[string]envKey) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		p := joinPath(path, tagName(f))
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			envKeys(fv, p, out)
			continue
		}
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(p, ".", "_"))
		out[name] = envKey{path: p, field: fv}
	}
}

type envKey struct {
	path  string
	field reflect.Value
}

func applyEnv(cfg *Config, environ []string) error {
	keys := map[string]envKey{}
	envKeys(reflect.ValueOf(cfg).Elem(), "", keys)
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || isNonConfigEnv(name) {
			continue
		}
		k, known := keys[name]
		if !known {
			return fmt.Errorf("%w: environment variable %s does not name a configuration key", ErrInvalid, name)
		}
		if err := setFromEnv(k, name, value); err != nil {
			return err
		}
	}
	return nil
}

// setFromEnv sets one key from its environment variable. Scalars and lists
// of strings ("a, b") use the file's spellings; a list of sections, which
// has no flat spelling, is written as a YAML or JSON flow list, such as
// [{"endpoint": "https://o.example/oembed", "url_patterns": ["https://o.example/*"]}],
// and decoded exactly as the same list in the file would be.
func setFromEnv(k envKey, name, value string) error {
	t := k.field.Type()
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Struct {
		if err := setScalar(k.field, value); err != nil {
			return fmt.Errorf("%w: %s (from %s): %v", ErrInvalid, k.path, name, err)
		}
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return fmt.Errorf("%w: %s (from %s): expected a YAML or JSON list: %v", ErrInvalid, k.path, name, err)
	}
	if len(doc.Content) == 0 {
		k.field.Set(reflect.MakeSlice(t, 0, 0))
		return nil
	}
	if err := decodeNode(doc.Content[0], k.field, k.path); err != nil {
		return fmt.Errorf("%w (from %s)", err, name)
	}
	return nil
}

func isNonConfigEnv(name string) bool {
	for _, p := range nonConfigEnv {
		if name == p || strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// EnvNames lists every supported override variable, for documentation and
// tests.
func EnvNames() map[string]string {
	cfg := Defaults()
	keys := map[string]envKey{}
	envKeys(reflect.ValueOf(&cfg).Elem(), "", keys)
	out := make(map[string]string, len(keys))
	for name, k := range keys {
		out[name] = k.path
	}
	return out
}
