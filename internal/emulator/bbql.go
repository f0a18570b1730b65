package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A subset of Bitbucket Cloud's query language (BBQL) for q=: comparisons
// (= != ~ !~ > >= < <=, IN, NOT IN) on known fields, combined with AND, OR
// and parentheses. Strings are double-quoted; true, false, null, numbers and
// unquoted ISO datetimes are literals. ~ is a case-insensitive contains.

type bbqlKind int

const (
	bbqlString bbqlKind = iota
	bbqlBool
	bbqlNumber
	bbqlTime
)

// bbqlFields are the fields a collection can be filtered on, with their types.
type bbqlFields map[string]bbqlKind

// bbqlRecord returns a field's value: string, bool, float64, time.Time or nil.
type bbqlRecord func(field string) any

type bbqlExpr interface {
	match(rec bbqlRecord) bool
}

type bbqlBinary struct {
	and         bool
	left, right bbqlExpr
}

func (b bbqlBinary) match(rec bbqlRecord) bool {
	if b.and {
		return b.left.match(rec) && b.right.match(rec)
	}
	return b.left.match(rec) || b.right.match(rec)
}

type bbqlCompare struct {
	field  string
	op     string // = != ~ !~ > >= < <= in notin
	values []any
}

type bbqlToken struct {
	kind byte // 'i' identifier/literal, 's' string, 'o' operator, '(' ')' ',' and 0 for the end
	text string
	pos  int
}

func bbqlTokens(q string) ([]bbqlToken, error) {
	var toks []bbqlToken
	i := 0
	for i < len(q) {
		ch := q[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(' || ch == ')' || ch == ',':
			toks = append(toks, bbqlToken{kind: ch, text: string(ch), pos: i})
			i++
		case ch == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != '"'; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unterminated string at position %d", i)
			}
			toks = append(toks, bbqlToken{kind: 's', text: b.String(), pos: i})
			i = j + 1
		case strings.ContainsRune("=!~<>", rune(ch)):
			op := string(ch)
			if i+1 < len(q) && (q[i+1] == '=' || (ch == '!' && q[i+1] == '~')) {
				op = q[i : i+2]
			}
			if op == "!" {
				return nil, fmt.Errorf("unexpected '!' at position %d", i)
			}
			toks = append(toks, bbqlToken{kind: 'o', text: op, pos: i})
			i += len(op)
		default:
			j := i
			for j < len(q) && isBBQLIdentChar(q[j]) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected character %q at position %d", ch, i)
			}
			toks = append(toks, bbqlToken{kind: 'i', text: q[i:j], pos: i})
			i = j
		}
	}
	return append(toks, bbqlToken{pos: len(q)}), nil
}

func isBBQLIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == ':' || c == '+'
}

type bbqlParser struct {
	toks   []bbqlToken
	i      int
	fields bbqlFields
}

// parseBBQL parses q against the allowed fields.
func parseBBQL(q string, fields bbqlFields) (bbqlExpr, error) {
	toks, err := bbqlTokens(q)
	if err != nil {
		return nil, err
	}
	p := &bbqlParser{toks: toks, fields: fields}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
	}
	return e, nil
}

func (p *bbqlParser) peek() bbqlToken { return p.toks[p.i] }
func (p *bbqlParser) next() bbqlToken { t := p.toks[p.i]; p.i++; return t }

func (p *bbqlParser) keyword(word string) bool {
	t := p.peek()
	if t.kind == 'i' && strings.EqualFold(t.text, word) {
		p.i++
		return true
	}
	return false
}

func (p *bbqlParser) or() (bbqlExpr, error) {
	left, err := p.and()
	for err == nil && p.keyword("OR") {
		var right bbqlExpr
		if right, err = p.and(); err == nil {
			left = bbqlBinary{and: false, left: left, right: right}
		}
	}
	return left, err
}

func (p *bbqlParser) and() (bbqlExpr, error) {
	left, err := p.term()
	for err == nil && p.keyword("AND") {
		var right bbqlExpr
		if right, err = p.term(); err == nil {
			left = bbqlBinary{and: true, left: left, right: right}
		}
	}
	return left, err
}

func (p *bbqlParser) term() (bbqlExpr, error) {
	if p.peek().kind == '(' {
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ')' {
			return nil, fmt.Errorf("expected ')' at position %d", t.pos)
		}
		return e, nil
	}
	return p.comparison()
}

func (p *bbqlParser) comparison() (bbqlExpr, error) {
	ft := p.next()
	if ft.kind != 'i' {
		return nil, fmt.Errorf("expected a field name at position %d", ft.pos)
	}
	kind, ok := p.fields[ft.text]
	if !ok {
		return nil, fmt.Errorf("'%s' is not a valid field", ft.text)
	}
	cmp := bbqlCompare{field: ft.text}
	switch {
	case p.peek().kind == 'o':
		cmp.op = p.next().text
		v, err := p.value(kind)
		if err != nil {
			return nil, err
		}
		cmp.values = []any{v}
	case p.keyword("IN"):
		cmp.op = "in"
	case p.keyword("NOT") && p.keyword("IN"):
		cmp.op = "notin"
	default:
		t := p.peek()
		return nil, fmt.Errorf("expected an operator after %s at position %d", ft.text, t.pos)
	}
	if cmp.op == "in" || cmp.op == "notin" {
		if t := p.next(); t.kind != '(' {
			return nil, fmt.Errorf("expected '(' at position %d", t.pos)
		}
		for {
			v, err := p.value(kind)
			if err != nil {
				return nil, err
			}
			cmp.values = append(cmp.values, v)
			t := p.next()
			if t.kind == ')' {
				break
			}
			if t.kind != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at position %d", t.pos)
			}
		}
	}
	if (cmp.op == "~" || cmp.op == "!~") && kind != bbqlString {
		return nil, fmt.Errorf("operator %s needs a text field, %s is not one", cmp.op, cmp.field)
	}
	if kind == bbqlBool && cmp.op != "=" && cmp.op != "!=" && cmp.op != "in" && cmp.op != "notin" {
		return nil, fmt.Errorf("operator %s cannot compare %s", cmp.op, cmp.field)
	}
	return cmp, nil
}

// value reads one literal and checks it fits the field's type.
func (p *bbqlParser) value(kind bbqlKind) (any, error) {
	t := p.next()
	bad := func() (any, error) {
		return nil, fmt.Errorf("invalid value %q at position %d", t.text, t.pos)
	}
	if t.kind != 's' && t.kind != 'i' {
		return bad()
	}
	if t.kind == 'i' && t.text == "null" {
		return nil, nil
	}
	switch kind {
	case bbqlString:
		if t.kind == 's' {
			return t.text, nil
		}
	case bbqlBool:
		if t.kind == 'i' && (t.text == "true" || t.text == "false") {
			return t.text == "true", nil
		}
	case bbqlNumber:
		if f, err := strconv.ParseFloat(t.text, 64); err == nil {
			return f, nil
		}
	case bbqlTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, t.text); err == nil {
				return tm, nil
			}
		}
	}
	return bad()
}

func (c bbqlCompare) match(rec bbqlRecord) bool {
	v := rec(c.field)
	switch c.op {
	case "in", "notin":
		found := false
		for _, lit := range c.values {
			if bbqlEqual(v, lit) {
				found = true
				break
			}
		}
		return found == (c.op == "in")
	}
	lit := c.values[0]
	switch c.op {
	case "=":
		return bbqlEqual(v, lit)
	case "!=":
		return !bbqlEqual(v, lit)
	case "~", "!~":
		s, _ := v.(string)
		l, _ := lit.(string)
		return strings.Contains(strings.ToLower(s), strings.ToLower(l)) == (c.op == "~")
	}
	order, ok := bbqlOrder(v, lit)
	if !ok {
		return false
	}
	switch c.op {
	case ">":
		return order > 0
	case ">=":
		return order >= 0
	case "<":
		return order < 0
	default: // "<="
		return order <= 0
	}
}

func bbqlEqual(v, lit any) bool {
	if lit == nil {
		return v == nil || v == ""
	}
	if tv, ok := v.(time.Time); ok {
		tl, ok := lit.(time.Time)
		return ok && tv.Equal(tl)
	}
	return v == lit
}

func bbqlOrder(v, lit any) (int, bool) {
	switch a := v.(type) {
	case string:
		b, ok := lit.(string)
		return strings.Compare(a, b), ok
	case float64:
		b, ok := lit.(float64)
		switch {
		case !ok:
			return 0, false
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	case time.Time:
		b, ok := lit.(time.Time)
		return a.Compare(b), ok
	}
	return 0, false
}
