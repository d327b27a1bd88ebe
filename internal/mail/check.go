package mail

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Check connects to the SMTP server and reads its greeting, so a program
// can say at start that the server does not answer. It sends nothing but
// QUIT.
func (s *SMTP) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.implicitTLS {
		td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("SMTP server %s does not answer: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("SMTP server %s sent no greeting: %w", addr, err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("SMTP server %s refuses connections: %s", addr, strings.TrimSpace(line))
	}
	fmt.Fprint(conn, "QUIT\r\n")
	return nil
}
