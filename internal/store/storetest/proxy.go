package storetest

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy in front of a MySQL/MariaDB server that can lose a
// COMMIT's answer: it lets the COMMIT through, discards the server's reply
// and drops the connection, so the client cannot know that the
// transaction committed.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	marker []byte // armed: drop the COMMIT of a transaction that sent this
	conns  []net.Conn
	// Dropped counts the COMMITs whose answer was lost.
	Dropped atomic.Int32
}

// NewProxy starts a proxy to target (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

// ProxyURL starts a proxy in front of the server of a mysql:// DATABASE_URL
// and returns the proxy and the URL that goes through it.
func ProxyURL(t testing.TB, databaseURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	p := NewProxy(t, host)
	u.Host = p.ln.Addr().String()
	return p, u.String()
}

// DropCommitAfter arms the proxy: the next COMMIT on a connection that
// sent a statement containing marker (such as "INSERT INTO invites")
// reaches the server, but its answer is lost and the connection dropped.
func (p *Proxy) DropCommitAfter(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker = []byte(marker)
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var dropping atomic.Bool
		closeBoth := func() { c.Close(); s.Close() }
		// Server to client: once a COMMIT is being dropped, its answer
		// never reaches the client.
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if dropping.Load() {
					closeBoth()
					return
				}
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						closeBoth()
						return
					}
				}
				if err != nil {
					closeBoth()
					return
				}
			}
		}()
		go p.clientToServer(c, s, &dropping, closeBoth)
	}
}

// clientToServer forwards the client's packets one by one, watching for
// the marker and the COMMIT that follows it.
func (p *Proxy) clientToServer(c, s net.Conn, dropping *atomic.Bool, closeBoth func()) {
	defer closeBoth()
	seen := false
	head := make([]byte, 4)
	for {
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(append(head[:3:3], 0)))
		payload := make([]byte, n)
		if _, err := io.ReadFull(c, payload); err != nil {
			return
		}
		p.mu.Lock()
		marker := p.marker
		p.mu.Unlock()
		if marker != nil && bytes.Contains(payload, marker) {
			seen = true
		}
		commit := len(payload) > 1 && payload[0] == 0x03 && bytes.EqualFold(bytes.TrimSpace(payload[1:]), []byte("COMMIT"))
		if commit && seen {
			p.mu.Lock()
			armed := p.marker != nil
			p.marker = nil
			p.mu.Unlock()
			if armed {
				dropping.Store(true)
				p.Dropped.Add(1)
			}
		}
		if commit {
			seen = false
		}
		if _, err := s.Write(append(head, payload...)); err != nil {
			return
		}
		if dropping.Load() {
			// Keep the connection until the server has answered (the
			// other direction closes both), so the COMMIT completes.
			io.Copy(io.Discard, c)
			return
		}
	}
}
