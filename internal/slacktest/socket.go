package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// AppToken is the app-level token the fake accepts for Socket Mode.
const AppToken = "xapp-1-test-token"

// socket is the fake's Socket Mode side: apps.connections.open hands out a
// WebSocket URL on the fake, and tests push envelopes down the connection.
type socket struct {
	mu        sync.Mutex
	conn      *websocket.Conn
	opens     int
	connected chan struct{}
	acks      map[string]chan json.RawMessage
	seq       int
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (a *API) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s := &a.socket
	if err := conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0COMPANY"}}); err != nil {
		conn.Close() // the client went away before its hello; it dials again
		return
	}
	s.mu.Lock()
	s.conn = conn
	if s.connected != nil {
		close(s.connected)
		s.connected = nil
	}
	s.mu.Unlock()
	for {
		var resp struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&resp); err != nil {
			return
		}
		s.mu.Lock()
		ch := s.acks[resp.EnvelopeID]
		delete(s.acks, resp.EnvelopeID)
		s.mu.Unlock()
		if ch != nil {
			ch <- resp.Payload
		}
	}
}

func (a *API) openConnection() map[string]any {
	s := &a.socket
	s.mu.Lock()
	s.opens++
	s.mu.Unlock()
	return map[string]any{"url": "ws" + strings.TrimPrefix(a.Server.URL, "http") + "/socket"}
}

// SocketOpens returns how many times apps.connections.open was called, one
// per (re)connection.
func (a *API) SocketOpens() int {
	a.socket.mu.Lock()
	defer a.socket.mu.Unlock()
	return a.socket.opens
}

// WaitSocket waits until a Socket Mode client is connected.
func (a *API) WaitSocket(t testing.TB) {
	t.Helper()
	s := &a.socket
	s.mu.Lock()
	if s.conn != nil {
		s.mu.Unlock()
		return
	}
	if s.connected == nil {
		s.connected = make(chan struct{})
	}
	ch := s.connected
	s.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no Socket Mode connection within 10s")
	}
}

// Envelope sends a Socket Mode envelope of the given type ("slash_commands",
// "interactive", "events_api") and returns the payload of its ack.
func (a *API) Envelope(t testing.TB, typ string, payload any) json.RawMessage {
	t.Helper()
	a.WaitSocket(t)
	s := &a.socket
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("env-%d", s.seq)
	ch := make(chan json.RawMessage, 1)
	if s.acks == nil {
		s.acks = map[string]chan json.RawMessage{}
	}
	s.acks[id] = ch
	conn := s.conn
	s.mu.Unlock()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("envelope payload: %v", err)
	}
	err = conn.WriteJSON(map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(body), "accepts_response_payload": typ != "events_api", "retry_attempt": 0, "retry_reason": ""})
	if err != nil {
		t.Fatalf("send envelope: %v", err)
	}
	select {
	case ack := <-ch:
		return ack
	case <-time.After(10 * time.Second):
		t.Fatalf("no ack for %s envelope within 10s", typ)
		return nil
	}
}

// DropSocket closes the current Socket Mode connection, as Slack does when
// it rotates connections; the client is expected to reconnect.
func (a *API) DropSocket() {
	s := &a.socket
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}
