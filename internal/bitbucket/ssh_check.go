package bitbucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// CheckSSHAccess proves that privateKey authenticates over SSH at the
// repository's ssh clone URL (ssh://git@host:port/path or git@host:path) and
// may fetch from it: it signs in as the URL's user and runs git-upload-pack,
// sending a flush packet at once (fetch nothing), and wants exit status 0.
//
// It proves the key works, not who the server is: there is no known_hosts
// to compare the host key with, so any host key is accepted.
func CheckSSHAccess(ctx context.Context, cloneURL, privateKey string, timeout time.Duration) error {
	user, addr, path, err := parseSSHCloneURL(cloneURL)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return errors.New("the private key does not parse as an OpenSSH private key")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	defer func() { _ = nc.Close() }()
	if deadline, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(deadline)
	}
	config := &ssh.ClientConfig{
		User: user,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		// The check is about the key, and there is no known host key to
		// compare with (see above).
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // documented: proves the key, not the host
		Timeout:         timeout,
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, addr, config)
	if err != nil {
		return fmt.Errorf("signing in to %s as %s with the key: %w", addr, user, err)
	}
	client := ssh.NewClient(conn, chans, reqs)
	defer func() { _ = client.Close() }()
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("opening a session on %s: %w", addr, err)
	}
	defer func() { _ = session.Close() }()
	var stderr bytes.Buffer
	session.Stdin = strings.NewReader("0000")
	session.Stderr = &stderr
	if err := session.Run("git-upload-pack '" + path + "'"); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("the key signed in to %s but may not fetch %s: %s", addr, path, msg)
	}
	return nil
}

// parseSSHCloneURL splits ssh://user@host[:port]/path and the scp-like
// user@host:path (port 22).
func parseSSHCloneURL(raw string) (user, addr, path string, err error) {
	if strings.HasPrefix(raw, "ssh://") {
		u, perr := url.Parse(raw)
		if perr != nil || u.Hostname() == "" {
			return "", "", "", fmt.Errorf("the ssh clone URL %q does not parse", raw)
		}
		port := u.Port()
		if port == "" {
			port = "22"
		}
		return u.User.Username(), net.JoinHostPort(u.Hostname(), port), strings.TrimPrefix(u.Path, "/"), nil
	}
	at, rest, ok := strings.Cut(raw, "@")
	host, p, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || host == "" || p == "" {
		return "", "", "", fmt.Errorf("the ssh clone URL %q is neither ssh://user@host/path nor user@host:path", raw)
	}
	return at, net.JoinHostPort(host, "22"), p, nil
}
