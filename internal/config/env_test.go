package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leafKey is one settable key of Config found by walking the struct itself,
// independently of the code under test.
type leafKey struct {
	path  string
	index []int
	typ   reflect.Type
}

func walkKeys(t reflect.Type, path string, index []int, out *[]leafKey) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		p := joinPath(path, tagName(f))
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			walkKeys(f.Type, p, idx, out)
			continue
		}
		*out = append(*out, leafKey{path: p, index: idx, typ: f.Type})
	}
}

// different returns a value of typ unlike old, so that setting it proves the
// variable reached the key.
func different(t *testing.T, typ reflect.Type, old reflect.Value) reflect.Value {
	t.Helper()
	v := reflect.New(typ).Elem()
	switch {
	case typ == durationType:
		v.SetInt(old.Int() + int64(time.Second))
	case typ.Kind() == reflect.String:
		v.SetString(old.String() + "-env")
	case typ.Kind() == reflect.Bool:
		v.SetBool(!old.Bool())
	case typ.Kind() == reflect.Int, typ.Kind() == reflect.Int64:
		v.SetInt(old.Int() + 1)
	case typ.Kind() == reflect.Float64:
		v.SetFloat(old.Float() + 0.5)
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.String:
		v.Set(reflect.ValueOf([]string{"env-a", "env-b"}))
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Struct:
		v.Set(reflect.MakeSlice(typ, 1, 1))
		v.Index(0).Set(different(t, typ.Elem(), reflect.Zero(typ.Elem())))
	case typ.Kind() == reflect.Struct:
		for i := 0; i < typ.NumField(); i++ {
			v.Field(i).Set(different(t, typ.Field(i).Type, old.Field(i)))
		}
	default:
		t.Fatalf("configuration type %s cannot be tested from the environment: teach setFromEnv and this test", typ)
	}
	return v
}

// envSpelling writes v as an operator would in an environment variable.
func envSpelling(t *testing.T, v reflect.Value) string {
	t.Helper()
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		return strings.Join(v.Interface().([]string), ", ")
	case v.Kind() == reflect.Slice:
		data, err := json.Marshal(asDocument(v))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	default:
		return fmt.Sprint(v.Interface())
	}
}

// asDocument turns config values into plain maps keyed by the file's key
// names, durations spelt as in the file.
func asDocument(v reflect.Value) any {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Struct:
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			m[tagName(v.Type().Field(i))] = asDocument(v.Field(i))
		}
		return m
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.String:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = asDocument(v.Index(i))
		}
		return out
	default:
		return v.Interface()
	}
}

func TestEveryKeyCanBeSetFromTheEnvironment(t *testing.T) {
	var keys []leafKey
	walkKeys(reflect.TypeOf(Config{}), "", nil, &keys)
	if len(keys) < 50 {
		t.Fatalf("walked only %d keys", len(keys))
	}
	for _, k := range keys {
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(k.path, ".", "_"))
		t.Run(name, func(t *testing.T) {
			cfg := Defaults()
			want := different(t, k.typ, reflect.ValueOf(cfg).FieldByIndex(k.index))
			env := name + "=" + envSpelling(t, want)
			if err := applyEnv(&cfg, []string{env}); err != nil {
				t.Fatalf("%s: %v", env, err)
			}
			if got := reflect.ValueOf(cfg).FieldByIndex(k.index); !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("%s set %s to %#v, want %#v", env, k.path, got.Interface(), want.Interface())
			}
			if EnvNames()[name] != k.path {
				t.Errorf("EnvNames()[%s] = %q, want %q", name, EnvNames()[name], k.path)
			}
		})
	}
}

func TestEnvironmentSetsAListOfSections(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    []OEmbedProvider
		wantErr string
	}{
		{"JSON list", `[{"endpoint": "https://o.example/oembed", "url_patterns": ["https://o.example/*"]}]`,
			[]OEmbedProvider{{Endpoint: "https://o.example/oembed", URLPatterns: []string{"https://o.example/*"}}}, ""},
		{"YAML flow list", `[{endpoint: "https://o.example/oembed", url_patterns: ["https://o.example/*"]}]`,
			[]OEmbedProvider{{Endpoint: "https://o.example/oembed", URLPatterns: []string{"https://o.example/*"}}}, ""},
		{"empty list turns the defaults off", "[]", []OEmbedProvider{}, ""},
		{"empty value turns the defaults off", "", []OEmbedProvider{}, ""},
		{"unknown key in an item", `[{"endpont": "https://o.example/oembed"}]`, nil,
			"media.url_preview.oembed_providers[0].endpont (line 1): unknown key (from OCOMMS_MEDIA_URL_PREVIEW_OEMBED_PROVIDERS)"},
		{"not a list", `https://o.example/oembed`, nil, "media.url_preview.oembed_providers (line 1): expected a list"},
		{"not YAML", `[{"endpoint": `, nil, "media.url_preview.oembed_providers (from OCOMMS_MEDIA_URL_PREVIEW_OEMBED_PROVIDERS): expected a YAML or JSON list"},
		{"validated like the file", `[{"endpoint": "https://o.example/oembed"}]`, nil, "oembed_providers[0].url_patterns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(nil, []string{"OCOMMS_MEDIA_URL_PREVIEW_OEMBED_PROVIDERS=" + tt.value})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Media.URLPreview.OEmbedProviders, tt.want) {
				t.Errorf("got %#v, want %#v", cfg.Media.URLPreview.OEmbedProviders, tt.want)
			}
		})
	}
}
