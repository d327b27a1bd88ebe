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

// Proxy is a TCP proxy in front of a database server. Cut drops every open
// connection and refuses new ones, as a network failure or a database
// restart would; Restore lets connections through again. DropCommitAfter
// loses the answer to one COMMIT of a MySQL/MariaDB transaction.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	// marker, when set, arms the proxy: the next COMMIT on a connection
	// that sent a packet containing it is dropped.
	marker []byte
	// Dropped counts the COMMITs whose answer was lost.
	Dropped atomic.Int32
}

// DropCommitAfter arms the proxy: the next COMMIT on a connection that sent
// a statement containing marker (such as "INSERT INTO invites") reaches the
// server, which commits, but its answer is discarded and the connection
// dropped, so the client cannot know the outcome.
func (p *Proxy) DropCommitAfter(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker = []byte(marker)
}

// ProxiedURL starts a proxy in front of the MySQL server of databaseURL and
// returns the same URL pointed at the proxy. The proxy stops when the test
// ends.
func ProxiedURL(t testing.TB, databaseURL string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "3306")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return u.String(), p
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	var dropping atomic.Bool
	go func() { p.clientToServer(c, s, &dropping); done <- struct{}{} }()
	go func() { serverToClient(c, s, &dropping); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// Cut drops every open connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *Proxy) close() {
	p.ln.Close()
	p.Cut()
}

// clientToServer forwards the client's MySQL packets one by one, watching
// for the armed marker and the COMMIT that follows it.
func (p *Proxy) clientToServer(c, s net.Conn, dropping *atomic.Bool) {
	seen := false
	head := make([]byte, 4)
	for {
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32([]byte{head[0], head[1], head[2], 0}))
		packet := make([]byte, 4+n)
		copy(packet, head)
		if _, err := io.ReadFull(c, packet[4:]); err != nil {
			return
		}
		payload := packet[4:]
		p.mu.Lock()
		if p.marker != nil && bytes.Contains(payload, p.marker) {
			seen = true
		}
		commit := len(payload) > 1 && payload[0] == 0x03 && bytes.EqualFold(bytes.TrimSpace(payload[1:]), []byte("COMMIT"))
		if commit && seen && p.marker != nil {
			p.marker = nil
			dropping.Store(true)
			p.Dropped.Add(1)
		}
		p.mu.Unlock()
		if commit {
			seen = false
		}
		if _, err := s.Write(packet); err != nil {
			return
		}
		if dropping.Load() {
			// Hold the connection until the server has answered: the
			// other direction then drops it, so the COMMIT completes.
			_, _ = io.Copy(io.Discard, c)
			return
		}
	}
}

// serverToClient forwards the server's answers until a COMMIT is being
// dropped: its answer is discarded and the connection closed.
func serverToClient(c, s net.Conn, dropping *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if dropping.Load() {
			c.Close()
			s.Close()
			return
		}
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
