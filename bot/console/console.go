// Package console is an interactive terminal in place of Slack: the admin
// types /company commands, messages print as text with numbered buttons and
// checkboxes, and modals become forms that ask for each input. It drives
// the bot's own Command and Interaction handlers with the payloads Slack
// would send, so the console does what Slack does, the same way.
package console

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"companyadmin/bot"
)

// Console is one admin's terminal session.
type Console struct {
	bot   *bot.Bot
	in    *bufio.Scanner
	out   io.Writer
	mu    sync.Mutex // guards out and the state below
	team  string
	user  string
	email string
	dir   string // where files sent to the admin are saved
	after func(ctx context.Context)

	choices []choice
	ticked  map[int]bool
	modal   *slack.ModalViewRequest
	seq     int
	// notice is the text of the last modal that only informed, so that
	// the same words arriving as a direct message are not printed twice.
	notice string
	// While a modal submission is answered, messages the bot posts wait
	// in held, so that what replaces the modal prints first, as Slack
	// shows it at once.
	holding bool
	held    []json.RawMessage
}

// Options says who the console user is.
type Options struct {
	Team, User, Email, Name string
	// Dir receives the files the bot sends (reports, rejected rows).
	Dir string
	// AfterEach runs after every command and action, for example to
	// deliver the mail it queued.
	AfterEach func(ctx context.Context)
}

// New returns a console over a bot built from o, signed in as the Slack
// user co describes.
func New(o bot.Options, co Options, in io.Reader, out io.Writer) *Console {
	c := &Console{in: bufio.NewScanner(in), out: out, team: co.Team, user: co.User, email: co.Email, dir: co.Dir, after: co.AfterEach, ticked: map[int]bool{}}
	c.in.Buffer(make([]byte, 64<<10), 1<<20)
	o.Slack = consoleSlack{c: c, name: co.Name}
	c.bot = bot.New(o)
	return c
}

// Bot returns the console's bot, for closing it.
func (c *Console) Bot() *bot.Bot { return c.bot }

const consoleHelp = `Type a command exactly as in Slack, for example:
  /company                  the menu
  /company invite bob@example.com
  /company pending
A number presses that button or ticks that checkbox of the last message.
  tick 1 3 5                tick (or untick) several checkboxes
  help                      this text
  quit                      leave`

// Run reads commands until quit or the end of input.
func (c *Console) Run(ctx context.Context) error {
	c.printf("Company Admin console: signed in as %s. Type help for help.\n", c.email)
	for {
		line, ok := c.ask("> ")
		if !ok {
			return nil
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case line == "quit" || line == "exit":
			return nil
		case line == "help" || line == "?":
			c.printf("%s\n", consoleHelp)
		case strings.HasPrefix(line, "tick "):
			for _, f := range strings.Fields(strings.ReplaceAll(line[5:], ",", " ")) {
				c.pick(ctx, f, false)
			}
			c.showTicks()
		case isNumber(line):
			c.pick(ctx, line, true)
		default:
			text := strings.TrimSpace(strings.TrimPrefix(line, "/company"))
			c.command(ctx, text)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

func (c *Console) ask(prompt string) (string, bool) {
	c.printf("%s", prompt)
	if !c.in.Scan() {
		return "", false
	}
	return c.in.Text(), true
}

func (c *Console) command(ctx context.Context, text string) {
	msg := c.bot.Command(ctx, slack.SlashCommand{TeamID: c.team, UserID: c.user, ChannelID: "D" + c.user, Command: "/company", Text: text, TriggerID: c.trigger()})
	if msg != nil {
		c.show(mustJSON(msg.Blocks))
	}
	c.settle(ctx)
}

func (c *Console) trigger() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("console-trigger-%d", c.seq)
}

// settle waits for the bot's background work, so its messages print before
// the next prompt, then runs a modal the handler opened.
func (c *Console) settle(ctx context.Context) {
	c.bot.Wait()
	for {
		c.mu.Lock()
		m := c.modal
		c.modal = nil
		c.mu.Unlock()
		if m == nil {
			if c.after != nil {
				c.after(ctx)
			}
			return
		}
		c.form(ctx, *m, nil)
		c.bot.Wait()
	}
}

// show prints a message's blocks and makes its buttons and checkboxes the
// current choices.
func (c *Console) show(raw json.RawMessage) {
	text, choices := renderBlocks(raw, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding {
		c.held = append(c.held, raw)
		return
	}
	if len(choices) == 0 && c.notice != "" && strings.TrimSpace(text) == c.notice {
		// Slack shows a confirmation in the modal and in a direct
		// message; the terminal has printed it once already.
		c.notice = ""
		return
	}
	fmt.Fprint(c.out, text)
	if len(choices) > 0 {
		c.choices = choices
		c.ticked = map[int]bool{}
	}
}

func (c *Console) showTicks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ns []int
	for n, on := range c.ticked {
		if on {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	if len(ns) == 0 {
		fmt.Fprintln(c.out, "Nothing ticked.")
		return
	}
	var labels []string
	for _, n := range ns {
		labels = append(labels, fmt.Sprintf("%d. %s", n, c.choices[n-1].label))
	}
	fmt.Fprintf(c.out, "Ticked: %s\n", strings.Join(labels, "; "))
}

// pick ticks a checkbox or presses a button by its number.
func (c *Console) pick(ctx context.Context, s string, press bool) {
	n, _ := strconv.Atoi(s)
	c.mu.Lock()
	if n < 1 || n > len(c.choices) {
		c.mu.Unlock()
		c.printf("There is no choice %s.\n", s)
		return
	}
	ch := c.choices[n-1]
	if ch.kind == "checkbox" {
		c.ticked[n] = !c.ticked[n]
		c.mu.Unlock()
		if press {
			c.showTicks()
		}
		return
	}
	c.mu.Unlock()
	if !press {
		c.printf("%d is a button: type %d alone to press it.\n", n, n)
		return
	}
	if ch.confirm != "" {
		answer, _ := c.ask(ch.confirm + " [y/N] ")
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(answer)), "y") {
			return
		}
	}
	c.interact(ctx, c.blockActions(ch))
}

// blockActions is the payload Slack sends when a button is pressed, with
// the state of the message's checkboxes.
func (c *Console) blockActions(pressed choice) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	values := map[string]any{}
	for i, ch := range c.choices {
		if ch.kind != "checkbox" {
			continue
		}
		blk, _ := values[ch.blockID].(map[string]any)
		if blk == nil {
			blk = map[string]any{}
			values[ch.blockID] = blk
		}
		act, _ := blk[ch.actionID].(map[string]any)
		if act == nil {
			act = map[string]any{"type": "checkboxes", "selected_options": []any{}}
			blk[ch.actionID] = act
		}
		if c.ticked[i+1] {
			act["selected_options"] = append(act["selected_options"].([]any), ch.option)
		}
	}
	c.seq++
	return map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": c.team},
		"user":       map[string]any{"id": c.user},
		"trigger_id": fmt.Sprintf("console-trigger-%d", c.seq),
		"channel":    map[string]any{"id": "D" + c.user},
		"container":  map[string]any{"type": "message", "is_ephemeral": true},
		"state":      map[string]any{"values": values},
		"actions": []any{map[string]any{
			"action_id": pressed.actionID, "block_id": pressed.blockID, "type": "button", "value": pressed.value,
			"text": map[string]any{"type": "plain_text", "text": pressed.label},
		}},
	}
}

// interact hands a payload to the bot as Slack would, and returns its answer.
func (c *Console) interact(ctx context.Context, payload map[string]any) any {
	raw, _ := json.Marshal(payload)
	var ic slack.InteractionCallback
	if err := json.Unmarshal(raw, &ic); err != nil {
		c.printf("console: %v\n", err)
		return nil
	}
	answer := c.bot.Interaction(ctx, ic)
	if ic.Type == slack.InteractionTypeBlockActions {
		c.settle(ctx)
	}
	return answer
}

// form asks for every input of a modal, submits it, and shows field errors
// and asks again until the bot accepts or the admin cancels.
func (c *Console) form(ctx context.Context, view slack.ModalViewRequest, previous map[string]string) {
	raw, _ := json.Marshal(view.Blocks)
	var bs []map[string]any
	json.Unmarshal(raw, &bs)
	title := ""
	if view.Title != nil {
		title = view.Title.Text
	}
	c.printf("\n--- %s ---\n", title)
	hasInputs := false
	for _, b := range bs {
		if b["type"] == "input" {
			hasInputs = true
		}
	}
	if !hasInputs {
		text, _ := renderBlocks(raw, 1)
		c.printf("%s", text)
		if view.Submit == nil || view.CallbackID == "" {
			// A notice: it only informs.
			c.mu.Lock()
			c.notice = strings.TrimSpace(text)
			c.mu.Unlock()
			return
		}
		// A confirmation: its submit button is the answer.
		answer, _ := c.ask(fmt.Sprintf("%s? [y/N] ", view.Submit.Text))
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(answer)), "y") {
			c.printf("Cancelled.\n")
			return
		}
		c.submit(ctx, view, map[string]any{})
		return
	}
	errs := map[string]string{}
	for {
		state := map[string]any{}
		typed := map[string]string{}
		for _, b := range bs {
			if b["type"] != "input" {
				text, _ := renderBlocks(mustJSON([]any{b}), 1)
				c.printf("%s", text)
				continue
			}
			id := str(b["block_id"])
			if e := errs[id]; e != "" {
				c.printf("  ! %s\n", e)
			}
			v, shown, ok := c.input(ctx, view, b, previous[id])
			if !ok {
				c.printf("Cancelled.\n")
				return
			}
			state[id] = map[string]any{str(b["element"].(map[string]any)["action_id"]): v}
			typed[id] = shown
		}
		if answer, _ := c.ask(fmt.Sprintf("Submit %q? [Y/n] ", title)); strings.HasPrefix(strings.ToLower(strings.TrimSpace(answer)), "n") {
			c.printf("Cancelled.\n")
			return
		}
		if fe := c.submit(ctx, view, state); fe != nil {
			errs = fe
			previous = typed
			c.printf("Please correct the fields marked !\n")
			continue
		}
		return
	}
}

// submit sends a modal's state as Slack does when its submit button is
// pressed, and follows the answer: field errors are returned to ask again;
// a view that replaces the modal is shown at once, before the work the bot
// does in the background prints its results, as in Slack.
func (c *Console) submit(ctx context.Context, view slack.ModalViewRequest, state map[string]any) map[string]string {
	payload := map[string]any{
		"type": "view_submission",
		"team": map[string]any{"id": c.team},
		"user": map[string]any{"id": c.user},
		"view": map[string]any{"id": "VCONSOLE", "type": "modal", "callback_id": view.CallbackID, "private_metadata": view.PrivateMetadata,
			"state": map[string]any{"values": state}},
	}
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		c.mu.Lock()
		held := c.held
		c.held, c.holding = nil, false
		c.mu.Unlock()
		for _, raw := range held {
			c.show(raw)
		}
	}
	defer release()
	answer := c.interact(ctx, payload)
	resp, _ := answer.(*slack.ViewSubmissionResponse)
	if resp != nil {
		switch resp.ResponseAction {
		case slack.RAErrors:
			release()
			return resp.Errors
		case slack.RAUpdate, slack.RAPush:
			if resp.View != nil {
				if resp.View.Submit != nil && resp.View.CallbackID != "" {
					// A form that asks: what waits prints first.
					release()
				}
				c.form(ctx, *resp.View, nil)
			}
		}
	}
	release()
	c.settle(ctx)
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// input asks for one input block and returns its state as Slack would send
// it, and what to show as the default next time.
func (c *Console) input(ctx context.Context, view slack.ModalViewRequest, b map[string]any, prev string) (any, string, bool) {
	el := b["element"].(map[string]any)
	label := textOf(b["label"])
	if opt, _ := b["optional"].(bool); opt {
		label += " (optional)"
	}
	if h := textOf(b["hint"]); h != "" {
		c.printf("  %s\n", h)
	}
	switch el["type"] {
	case "plain_text_input", "email_text_input", "number_input", "url_text_input":
		def := prev
		if def == "" {
			def = str(el["initial_value"])
		}
		if multi, _ := el["multiline"].(bool); multi {
			c.printf("%s (end with an empty line):\n", label)
			var lines []string
			for {
				l, ok := c.ask("  ")
				if !ok {
					return nil, "", false
				}
				if l == "" {
					break
				}
				lines = append(lines, l)
			}
			v := strings.Join(lines, "\n")
			return map[string]any{"type": el["type"], "value": nullable(v)}, v, true
		}
		prompt := label
		if def != "" {
			prompt += " [" + def + "]"
		}
		v, ok := c.ask(prompt + ": ")
		if !ok {
			return nil, "", false
		}
		if v = strings.TrimSpace(v); v == "" {
			v = def
		}
		return map[string]any{"type": el["type"], "value": nullable(v)}, v, true
	case "radio_buttons", "static_select":
		opts := list(el["options"])
		def := 0
		for i, o := range opts {
			if initial, ok := el["initial_option"].(map[string]any); ok && str(initial["value"]) == str(o.(map[string]any)["value"]) {
				def = i + 1
			}
			if prev == str(o.(map[string]any)["value"]) {
				def = i + 1
			}
			c.printf("  %d. %s\n", i+1, textOf(o.(map[string]any)["text"]))
		}
		for {
			prompt := label
			if def > 0 {
				prompt += fmt.Sprintf(" [%d]", def)
			}
			v, ok := c.ask(prompt + ": ")
			if !ok {
				return nil, "", false
			}
			n := def
			if strings.TrimSpace(v) != "" {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if n == 0 {
				return map[string]any{"type": el["type"], "selected_option": nil}, "", true
			}
			if n >= 1 && n <= len(opts) {
				o := opts[n-1].(map[string]any)
				return map[string]any{"type": el["type"], "selected_option": o}, str(o["value"]), true
			}
			c.printf("  Choose a number from 1 to %d.\n", len(opts))
		}
	case "multi_external_select", "external_select":
		return c.externalSelect(ctx, view, b, el, label)
	case "checkboxes", "multi_static_select":
		opts := list(el["options"])
		for i, o := range opts {
			c.printf("  %d. %s\n", i+1, textOf(o.(map[string]any)["text"]))
		}
		v, ok := c.ask(label + " (numbers, separated by spaces): ")
		if !ok {
			return nil, "", false
		}
		var sel []any
		for _, f := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
			if n, err := strconv.Atoi(f); err == nil && n >= 1 && n <= len(opts) {
				sel = append(sel, opts[n-1])
			}
		}
		return map[string]any{"type": el["type"], "selected_options": sel}, v, true
	case "file_input":
		for {
			v, ok := c.ask(label + " — path to the file, or empty for none: ")
			if !ok {
				return nil, "", false
			}
			v = strings.TrimSpace(v)
			if v == "" {
				return map[string]any{"type": "file_input", "files": []any{}}, "", true
			}
			abs, err := filepath.Abs(v)
			st, serr := os.Stat(abs)
			if err != nil || serr != nil || st.IsDir() {
				c.printf("  There is no file at %s.\n", v)
				continue
			}
			ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(abs)), ".")
			f := map[string]any{"id": "FCONSOLE", "name": filepath.Base(abs), "title": filepath.Base(abs), "filetype": ext, "size": st.Size(),
				"url_private": "file://" + abs, "url_private_download": "file://" + abs}
			return map[string]any{"type": "file_input", "files": []any{f}}, v, true
		}
	}
	c.printf("  (%s inputs are not supported in the console)\n", str(el["type"]))
	return map[string]any{"type": el["type"]}, "", true
}

// externalSelect asks for a select whose options the bot loads as the
// admin types: it starts from the options already chosen (a room's current
// managers), and each line typed is a new search, or the numbers of found
// options to add or remove, until an empty line.
func (c *Console) externalSelect(ctx context.Context, view slack.ModalViewRequest, b, el map[string]any, label string) (any, string, bool) {
	multi := el["type"] == "multi_external_select"
	var chosen []map[string]any
	if multi {
		for _, o := range list(el["initial_options"]) {
			chosen = append(chosen, o.(map[string]any))
		}
	} else if o, ok := el["initial_option"].(map[string]any); ok {
		chosen = append(chosen, o)
	}
	index := func(o map[string]any) int {
		for i, ch := range chosen {
			if str(ch["value"]) == str(o["value"]) {
				return i
			}
		}
		return -1
	}
	var found []map[string]any
	for {
		var names []string
		for _, o := range chosen {
			names = append(names, textOf(o["text"]))
		}
		if len(names) == 0 {
			names = []string{"none"}
		}
		c.printf("  %s: %s\n", label, strings.Join(names, "; "))
		q, ok := c.ask("  Type part of a name or email to search, numbers to pick or drop, or Enter when done: ")
		if !ok {
			return nil, "", false
		}
		q = strings.TrimSpace(q)
		if q == "" {
			break
		}
		if nums, isNums := numbers(q); isNums && len(found) > 0 {
			for _, n := range nums {
				if n < 1 || n > len(found) {
					c.printf("  There is no option %d.\n", n)
					continue
				}
				o := found[n-1]
				switch i := index(o); {
				case i >= 0:
					chosen = append(chosen[:i], chosen[i+1:]...)
				case multi:
					chosen = append(chosen, o)
				default:
					chosen = []map[string]any{o}
				}
			}
			continue
		}
		payload := map[string]any{"type": "block_suggestion", "team": map[string]any{"id": c.team}, "user": map[string]any{"id": c.user},
			"action_id": el["action_id"], "block_id": b["block_id"], "value": q,
			"view": map[string]any{"id": "VCONSOLE", "callback_id": view.CallbackID, "private_metadata": view.PrivateMetadata}}
		raw, _ := json.Marshal(c.interact(ctx, payload))
		var r struct{ Options []map[string]any }
		json.Unmarshal(raw, &r)
		found = r.Options
		if len(found) == 0 {
			c.printf("  Nothing matches %q.\n", q)
		}
		for i, o := range found {
			mark := "[ ]"
			if index(o) >= 0 {
				mark = "[x]"
			}
			c.printf("  %s %d. %s\n", mark, i+1, textOf(o["text"]))
		}
	}
	var names []string
	for _, o := range chosen {
		names = append(names, textOf(o["text"]))
	}
	shown := strings.Join(names, "; ")
	if multi {
		sel := []any{}
		for _, o := range chosen {
			sel = append(sel, o)
		}
		return map[string]any{"type": el["type"], "selected_options": sel}, shown, true
	}
	var one any
	if len(chosen) > 0 {
		one = chosen[0]
	}
	return map[string]any{"type": el["type"], "selected_option": one}, shown, true
}

// numbers reads a line of numbers separated by spaces or commas.
func numbers(s string) ([]int, bool) {
	var out []int
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// consoleSlack stands in for the Slack Web API: it prints what would be
// posted, opens modals as forms and keeps files on disk.
type consoleSlack struct {
	c    *Console
	name string
}

func (s consoleSlack) GetUserInfoContext(_ context.Context, user string, _ ...slack.GetUserInfoOption) (*slack.User, error) {
	if user != s.c.user {
		return nil, errors.New("user_not_found")
	}
	return &slack.User{ID: user, TeamID: s.c.team, Name: s.name, RealName: s.name, IsEmailConfirmed: true, Profile: slack.UserProfile{RealName: s.name, Email: s.c.email}}, nil
}

func (s consoleSlack) OpenViewContext(_ context.Context, _ string, view slack.ModalViewRequest) (*slack.ViewResponse, error) {
	s.c.mu.Lock()
	s.c.modal = &view
	s.c.mu.Unlock()
	return &slack.ViewResponse{}, nil
}

func (s consoleSlack) PublishViewContext(_ context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error) {
	s.c.show(mustJSON(req.View.Blocks))
	return &slack.ViewResponse{}, nil
}

// post prints a message. slack-go builds the request body only when it
// sends, so the message goes through a client whose transport is the
// console itself.
func (s consoleSlack) post(ctx context.Context, channel string, options []slack.MsgOption) error {
	client := slack.New("xoxb-console", slack.OptionHTTPClient(&http.Client{Transport: printer{s.c}}))
	_, _, err := client.PostMessageContext(ctx, channel, options...)
	return err
}

// printer answers chat.postMessage by printing the message.
type printer struct{ c *Console }

func (p printer) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	values, _ := url.ParseQuery(string(body))
	if raw := values.Get("blocks"); raw != "" && raw != "[]" && raw != "null" {
		p.c.show(json.RawMessage(raw))
	} else {
		p.c.printf("%s\n", readable(values.Get("text")))
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"ok":true,"channel":"D0CONSOLE","ts":"1.000001"}`)), Request: r}, nil
}

func (s consoleSlack) PostMessageContext(ctx context.Context, channel string, options ...slack.MsgOption) (string, string, error) {
	return channel, "1", s.post(ctx, channel, options)
}

func (s consoleSlack) OpenConversationContext(_ context.Context, p *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	ch := &slack.Channel{}
	ch.ID = "D" + s.c.user
	return ch, false, false, nil
}

func (s consoleSlack) UploadFileContext(_ context.Context, p slack.UploadFileParameters) (*slack.FileSummary, error) {
	name := filepath.Base(p.Filename)
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	dir := s.c.dir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = strings.NewReader(p.Content)
	if p.Reader != nil {
		r = p.Reader
	} else if p.File != "" {
		src, err := os.Open(p.File)
		if err != nil {
			return nil, err
		}
		defer src.Close()
		r = src
	}
	if _, err := io.Copy(f, r); err != nil {
		return nil, err
	}
	if p.InitialComment != "" {
		s.c.printf("%s\n", readable(p.InitialComment))
	}
	s.c.printf("File saved: %s\n", path)
	return &slack.FileSummary{ID: "FCONSOLE", Title: p.Title}, nil
}

// GetFileContext reads a file the console user named by path.
func (s consoleSlack) GetFileContext(_ context.Context, url string, w io.Writer) error {
	path, ok := strings.CutPrefix(url, "file://")
	if !ok {
		return fmt.Errorf("console: cannot download %s", url)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
