package deploy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// parseYAML reads the block-style YAML subset compose.yaml is kept to:
// nested mappings indented by two spaces, "- scalar" lists, JSON-style flow
// lists ["a", "b"], {} for an empty mapping, quoted or plain scalars, and
// whole-line comments. Anything else is an error, so the file cannot drift
// into forms this reader would misread.
func parseYAML(src string) (map[string]any, error) {
	type line struct {
		n, indent int
		text      string
	}
	var lines []line
	for i, raw := range strings.Split(src, "\n") {
		t := strings.TrimRight(raw, " \t\r")
		s := strings.TrimLeft(t, " ")
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if strings.Contains(t, "\t") {
			return nil, fmt.Errorf("line %d: tab", i+1)
		}
		lines = append(lines, line{i + 1, len(t) - len(s), s})
	}
	pos := 0
	var block func(indent int) (any, error)
	scalar := func(n int, v string) (any, error) {
		switch {
		case v == "{}":
			return map[string]any{}, nil
		case strings.HasPrefix(v, "["):
			var list []any
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, fmt.Errorf("line %d: flow list: %v", n, err)
			}
			return list, nil
		case strings.HasPrefix(v, `"`):
			s, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: quoted string: %v", n, err)
			}
			return s, nil
		case strings.HasPrefix(v, "'"), strings.HasPrefix(v, "&"), strings.HasPrefix(v, "*"), strings.HasPrefix(v, "{"), strings.HasPrefix(v, "|"), strings.HasPrefix(v, ">"):
			return nil, fmt.Errorf("line %d: %q is outside the subset read here", n, v)
		}
		return v, nil
	}
	block = func(indent int) (any, error) {
		if pos >= len(lines) || lines[pos].indent != indent {
			return nil, fmt.Errorf("line %d: expected a block indented by %d", lines[min(pos, len(lines)-1)].n, indent)
		}
		if strings.HasPrefix(lines[pos].text, "- ") {
			var list []any
			for pos < len(lines) && lines[pos].indent == indent && strings.HasPrefix(lines[pos].text, "- ") {
				v, err := scalar(lines[pos].n, strings.TrimSpace(lines[pos].text[2:]))
				if err != nil {
					return nil, err
				}
				list = append(list, v)
				pos++
			}
			return list, nil
		}
		m := map[string]any{}
		for pos < len(lines) && lines[pos].indent == indent {
			l := lines[pos]
			key, val, ok := strings.Cut(l.text, ":")
			if !ok || (val != "" && !strings.HasPrefix(val, " ")) {
				return nil, fmt.Errorf("line %d: expected key: value", l.n)
			}
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("line %d: %s given twice", l.n, key)
			}
			pos++
			if val = strings.TrimSpace(val); val != "" {
				v, err := scalar(l.n, val)
				if err != nil {
					return nil, err
				}
				m[key] = v
				continue
			}
			if pos >= len(lines) || lines[pos].indent <= indent {
				return nil, fmt.Errorf("line %d: %s has no value", l.n, key)
			}
			v, err := block(lines[pos].indent)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		if pos < len(lines) && lines[pos].indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", lines[pos].n)
		}
		return m, nil
	}
	v, err := block(0)
	if err != nil {
		return nil, err
	}
	if pos != len(lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", lines[pos].n)
	}
	return v.(map[string]any), nil
}
