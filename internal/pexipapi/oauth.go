package pexipapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"companyadmin/internal/company"
)

// renewAhead is how long before its expiry an access token is replaced.
const renewAhead = 5 * time.Minute

// ParseKey reads an OAuth2 client's private key: a PEM "EC PRIVATE KEY" or
// PKCS #8 "PRIVATE KEY" on the P-256 curve, as the Management Node hands it
// out.
func ParseKey(pemText []byte) (*ecdsa.PrivateKey, error) {
	if b, _ := pem.Decode(pemText); b == nil {
		return nil, errors.New("not a PEM private key")
	}
	k, err := jwt.ParseECPrivateKeyFromPEM(pemText)
	if err != nil {
		return nil, err
	}
	if k.Curve.Params().Name != "P-256" {
		return nil, fmt.Errorf("the key is on %s; ES256 needs P-256", k.Curve.Params().Name)
	}
	return k, nil
}

// tokenSource holds the access token of the OAuth2 client credentials
// grant and renews it a few minutes before it expires.
type tokenSource struct {
	c       *Client
	mu      sync.Mutex
	token   string
	expires time.Time
}

// authorization returns the Authorization header value of a request.
func (c *Client) authorization(ctx context.Context) (string, error) {
	if c.tokens != nil {
		t, err := c.tokens.get(ctx)
		if err != nil {
			return "", err
		}
		return "Bearer " + t, nil
	}
	if c.cfg.User != "" || c.cfg.Password != "" {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.cfg.User+":"+c.cfg.Password)), nil
	}
	return "", nil
}

func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.c.cfg.Clock()
	if ts.token != "" && now.Add(renewAhead).Before(ts.expires) {
		return ts.token, nil
	}
	tok, ttl, err := ts.fetch(ctx, now)
	if err != nil {
		return "", err
	}
	ts.token, ts.expires = tok, now.Add(ttl)
	return tok, nil
}

// invalidate drops the token the header carried, so the next request
// fetches a new one.
func (ts *tokenSource) invalidate(header string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if "Bearer "+ts.token == header {
		ts.token = ""
	}
}

// fetch signs a client assertion and exchanges it for an access token.
func (ts *tokenSource) fetch(ctx context.Context, now time.Time) (string, time.Duration, error) {
	c := ts.c
	tokenURL := c.base.String() + TokenPath
	jti := make([]byte, 16)
	rand.Read(jti)
	claims := jwt.RegisteredClaims{
		Issuer:    c.cfg.ClientID,
		Subject:   c.cfg.ClientID,
		Audience:  jwt.ClaimStrings{tokenURL},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
		ID:        base64.RawURLEncoding.EncodeToString(jti),
	}
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(c.cfg.ClientKey)
	if err != nil {
		return "", 0, fmt.Errorf("pexip: sign client assertion: %w", err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	for {
		if err := c.waitTurn(ctx); err != nil {
			return "", 0, &Error{Kind: Unavailable, Method: http.MethodPost, Path: TokenPath, Message: err.Error()}
		}
		resp, err := c.send(ctx, http.MethodPost, TokenPath, []byte(form.Encode()), "application/x-www-form-urlencoded", "")
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Kind = Unavailable // a token request changes nothing
			}
			return "", 0, err
		}
		if resp.status == http.StatusTooManyRequests {
			if err := c.backOff(http.MethodPost, TokenPath, resp); err != nil {
				return "", 0, err
			}
			continue
		}
		if resp.status != http.StatusOK {
			return "", 0, &Error{Kind: Unavailable, Status: resp.status, Method: http.MethodPost, Path: TokenPath,
				Message: "the Management Node refused our OAuth2 client credentials: " + company.Truncate(strings.TrimSpace(string(resp.body)), 200)}
		}
		var t struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		if err := json.Unmarshal(resp.body, &t); err != nil || t.AccessToken == "" {
			return "", 0, &Error{Kind: Unavailable, Status: resp.status, Method: http.MethodPost, Path: TokenPath, Message: "token answer without an access_token"}
		}
		ttl := time.Duration(t.ExpiresIn) * time.Second
		if ttl <= 0 {
			ttl = time.Hour
		}
		return t.AccessToken, ttl, nil
	}
}
