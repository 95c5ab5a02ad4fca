package preview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// Preview is what a URL's page says about itself.
type Preview struct {
	// OG holds OpenGraph properties (og:title, og:description...).
	OG map[string]any
	// Image is the absolute URL of the preview image, if any; the caller
	// fetches it with Image and replaces og:image with an mxc URI.
	Image string
}

// Preview fetches u and extracts its preview: from the oEmbed provider
// configured for it, from the oEmbed document the page links to, or from
// the page's OpenGraph tags.
func (p *Previewer) Preview(ctx context.Context, u *url.URL) (Preview, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if endpoint, ok := p.providerFor(u.String()); ok {
		return p.oEmbed(ctx, endpoint, u.String())
	}
	f, err := p.get(ctx, u, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	if err != nil {
		return Preview{}, err
	}
	mt, _, _ := mime.ParseMediaType(f.contentType)
	if strings.HasPrefix(mt, "image/") {
		return Preview{OG: map[string]any{"og:title": lastSegment(f.url)}, Image: f.url.String()}, nil
	}
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return Preview{OG: map[string]any{}}, nil
	}
	page, err := parseHTML(f.body, f.contentType, f.url)
	if err != nil {
		return Preview{}, err
	}
	if page.oEmbed != "" {
		if ou, err := CheckURL(page.oEmbed); err == nil {
			if pv, err := p.oEmbedDocument(ctx, ou); err == nil {
				return pv, nil
			}
		}
	}
	return page.preview, nil
}

func lastSegment(u *url.URL) string {
	parts := strings.Split(strings.TrimRight(u.Path, "/"), "/")
	return parts[len(parts)-1]
}

func (p *Previewer) providerFor(u string) (string, bool) {
	for _, prov := range p.providers {
		for _, re := range prov.patterns {
			if re.MatchString(u) {
				return prov.endpoint, true
			}
		}
	}
	return "", false
}

// page is what parseHTML finds.
type page struct {
	preview Preview
	oEmbed  string
}

// parseHTML reads OpenGraph properties, falling back to the title and
// description elements, and the page's oEmbed link. Relative URLs are
// resolved against base (the URL after redirects).
// https://ogp.me/
func parseHTML(body []byte, contentType string, base *url.URL) (page, error) {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return page{}, fmt.Errorf("%w: decoding the page: %v", ErrFetch, err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return page{}, fmt.Errorf("%w: parsing the page: %v", ErrFetch, err)
	}
	og := map[string]any{}
	var title, description, twitterImage, oembed string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "meta":
				key := attr(n, "property")
				if key == "" {
					key = attr(n, "name")
				}
				value := attr(n, "content")
				switch {
				case strings.HasPrefix(key, "og:") && len(og) < 50 && value != "":
					if _, dup := og[key]; !dup { // the first of repeated properties wins
						og[key] = truncate(value, 1000)
					}
				case key == "description":
					description = value
				case key == "twitter:image" || key == "twitter:image:src":
					twitterImage = value
				}
			case "title":
				if n.FirstChild != nil && title == "" {
					title = n.FirstChild.Data
				}
			case "link":
				if strings.EqualFold(attr(n, "type"), "application/json+oembed") {
					oembed = resolve(base, attr(n, "href"))
				}
			case "script", "style":
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if _, ok := og["og:title"]; !ok && strings.TrimSpace(title) != "" {
		og["og:title"] = truncate(strings.TrimSpace(title), 1000)
	}
	if _, ok := og["og:description"]; !ok && description != "" {
		og["og:description"] = truncate(description, 1000)
	}
	image, _ := og["og:image"].(string)
	if image == "" {
		image = twitterImage
	}
	delete(og, "og:image")
	pv := Preview{OG: og}
	if image != "" {
		pv.Image = resolve(base, image)
	}
	return page{preview: pv, oEmbed: oembed}, nil
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, name) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

func resolve(base *url.URL, ref string) string {
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 { // not inside a UTF-8 sequence
		n--
	}
	return s[:n] + "…"
}

// oEmbed asks a configured provider about target.
// https://oembed.com/#section2
func (p *Previewer) oEmbed(ctx context.Context, endpoint, target string) (Preview, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return Preview{}, fmt.Errorf("%w: oEmbed endpoint: %v", ErrFetch, err)
	}
	q := u.Query()
	q.Set("url", target)
	q.Set("format", "json")
	u.RawQuery = q.Encode()
	return p.oEmbedDocument(ctx, u)
}

// oEmbedDocument maps an oEmbed response onto OpenGraph properties.
func (p *Previewer) oEmbedDocument(ctx context.Context, u *url.URL) (Preview, error) {
	f, err := p.get(ctx, u, "application/json")
	if err != nil {
		return Preview{}, err
	}
	var doc struct {
		Type         string `json:"type"`
		Title        string `json:"title"`
		AuthorName   string `json:"author_name"`
		ProviderName string `json:"provider_name"`
		ThumbnailURL string `json:"thumbnail_url"`
		URL          string `json:"url"`
		HTML         string `json:"html"`
	}
	if err := json.Unmarshal(f.body, &doc); err != nil {
		return Preview{}, fmt.Errorf("%w: oEmbed response is not JSON: %v", ErrFetch, err)
	}
	og := map[string]any{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			og[k] = truncate(v, 1000)
		}
	}
	set("og:title", doc.Title)
	set("og:site_name", doc.ProviderName)
	if doc.AuthorName != "" {
		set("og:description", doc.AuthorName)
	}
	if text := htmlText(doc.HTML); text != "" {
		set("og:description", text)
	}
	pv := Preview{OG: og}
	image := doc.ThumbnailURL
	if doc.Type == "photo" && doc.URL != "" {
		image = doc.URL
	}
	if image != "" {
		pv.Image = resolve(f.url, image)
	}
	return pv, nil
}

// htmlText is the visible text of an oEmbed html fragment.
func htmlText(fragment string) string {
	if fragment == "" {
		return ""
	}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
