package company

import "strings"

// InviteLink is the address of the activation page of an invitation or
// reminder whose link carries token, under the service's public URL.
func InviteLink(publicURL, token string) string { return link(publicURL, "/invite/", token) }

// ResetLink is the address of the page that sets a new password with a
// reset link's token.
func ResetLink(publicURL, token string) string { return link(publicURL, "/reset/", token) }

// ConnectLink is the address behind a video system's Meeting Connect QR
// code.
func ConnectLink(publicURL, code string) string { return link(publicURL, "/connect/", code) }

func link(publicURL, path, key string) string {
	return strings.TrimRight(publicURL, "/") + path + key
}
