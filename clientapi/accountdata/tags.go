package accountdata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// maxTagBytes is the spec's limit on a tag name.
// https://spec.matrix.org/latest/client-server-api/#room-tagging
const maxTagBytes = 255

// tagsContent is the content of m.tag: each tag name with its object
// (such as {"order": 0.5}), kept as the client sent it.
type tagsContent struct {
	Tags map[string]json.RawMessage `json:"tags"`
}

// tagsOf reads stored m.tag content; content that is not of the m.tag
// shape (room account data set directly by a client) holds no tags.
func tagsOf(content json.RawMessage) map[string]json.RawMessage {
	var c tagsContent
	if content == nil || json.Unmarshal(content, &c) != nil || c.Tags == nil {
		return map[string]json.RawMessage{}
	}
	return c.Tags
}

func encodeTags(tags map[string]json.RawMessage) (json.RawMessage, error) {
	data, err := json.Marshal(tagsContent{Tags: tags})
	if err != nil {
		return nil, fmt.Errorf("encoding m.tag: %w", err)
	}
	return data, nil
}

// GET /user/{userId}/rooms/{roomId}/tags
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3useruseridroomsroomidtags
func (a *AccountData) getTags(r *http.Request, dev *httpapi.Device) (any, error) {
	k, err := target(r, dev, typeTag, false)
	if err != nil {
		return nil, err
	}
	content, err := a.load(r.Context(), k)
	if err != nil {
		return nil, err
	}
	return tagsContent{Tags: tagsOf(content)}, nil
}

// PUT /user/{userId}/rooms/{roomId}/tags/{tag}
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3useruseridroomsroomidtagstag
func (a *AccountData) putTag(r *http.Request, dev *httpapi.Device) (any, error) {
	k, err := target(r, dev, typeTag, true)
	if err != nil {
		return nil, err
	}
	tag := httpapi.Vars(r)["tag"]
	if len(tag) > maxTagBytes {
		return nil, errcode.InvalidParam(fmt.Sprintf("tag names are limited to %d bytes", maxTagBytes))
	}
	body, err := readContent(r)
	if err != nil {
		return nil, err
	}
	if err := validateTag(body); err != nil {
		return nil, err
	}
	err = a.update(r.Context(), k, func(old json.RawMessage) (json.RawMessage, error) {
		tags := tagsOf(old)
		if prev, ok := tags[tag]; ok && bytes.Equal(prev, body) {
			return nil, nil // already so
		}
		tags[tag] = body
		return encodeTags(tags)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// DELETE /user/{userId}/rooms/{roomId}/tags/{tag}; removing a tag the room
// does not have succeeds without a change.
//
// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3useruseridroomsroomidtagstag
func (a *AccountData) deleteTag(r *http.Request, dev *httpapi.Device) (any, error) {
	k, err := target(r, dev, typeTag, true)
	if err != nil {
		return nil, err
	}
	tag := httpapi.Vars(r)["tag"]
	err = a.update(r.Context(), k, func(old json.RawMessage) (json.RawMessage, error) {
		tags := tagsOf(old)
		if _, ok := tags[tag]; !ok {
			return nil, nil
		}
		delete(tags, tag)
		return encodeTags(tags)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// validateTag checks a tag's object: order, when present, is a number in
// [0, 1].
func validateTag(body json.RawMessage) error {
	var t map[string]json.RawMessage
	if err := json.Unmarshal(body, &t); err != nil {
		return errcode.BadJSON("the tag must be a JSON object")
	}
	raw, ok := t["order"]
	if !ok {
		return nil
	}
	var order *float64
	if err := json.Unmarshal(raw, &order); err != nil || order == nil || *order < 0 || *order > 1 {
		return errcode.BadJSON("order must be a number between 0 and 1")
	}
	return nil
}
