package emulator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// An SSH endpoint for access-key checks: git over SSH authenticates with a
// public key (user "git"), and git-upload-pack / git-receive-pack name the
// repository. The emulator accepts a key registered as an access key that
// reaches the repository (its own key or its project's; receive-pack needs a
// write permission, which Cloud keys never have), answers with exit status
// 0 and no data, and records the key's last use. It serves no git data.

// sshState is the SSH endpoint of a server, once started.
type sshState struct {
	listener net.Listener
	port     int
}

// ServeSSH starts the SSH endpoint on a loopback port; from then on the
// repositories' ssh clone links name that port. A server made by
// NewTestServer stops it when the test ends; otherwise it runs as long as
// the process.
func (s *Server) ServeSSH() (string, error) {
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	signer, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		return "", err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		_ = l.Close()
		return "", fmt.Errorf("emulator: SSH listener on %s is not TCP", l.Addr())
	}
	config := &ssh.ServerConfig{PublicKeyCallback: s.sshAuthenticate}
	config.AddHostKey(signer)
	s.mu.Lock()
	s.st.keyState().ssh = &sshState{listener: l, port: addr.Port}
	s.mu.Unlock()
	if s.tb != nil {
		s.tb.Cleanup(func() { _ = l.Close() })
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go s.serveSSHConn(conn, config)
		}
	}()
	return l.Addr().String(), nil
}

// sshCloneURL is the ssh clone link of path ("ws/repo.git" on Cloud,
// "prj/repo.git" on Data Center): the endpoint's port when it runs,
// otherwise the product's usual form (fallback).
func (c *call) sshCloneURL(host, path, fallback string) string {
	if st := c.s.st.keyState().ssh; st != nil {
		return "ssh://git@" + host + ":" + strconv.Itoa(st.port) + "/" + path
	}
	return fallback
}

func (s *Server) sshAuthenticate(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if conn.User() != "git" {
		return nil, errors.New("the SSH user is git")
	}
	fp := ssh.FingerprintSHA256(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.st.keyState().keys {
		if k.fingerprint == fp {
			return &ssh.Permissions{Extensions: map[string]string{"fingerprint": fp}}, nil
		}
	}
	return nil, errors.New("the key is not registered")
}

func (s *Server) serveSSHConn(nc net.Conn, config *ssh.ServerConfig) {
	defer func() { _ = nc.Close() }()
	conn, chans, reqs, err := ssh.NewServerConn(nc, config)
	if err != nil {
		return
	}
	defer func() { _ = conn.Close() }()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, requests, err := nch.Accept()
		if err != nil {
			return
		}
		go s.serveSSHSession(ch, requests, conn.Permissions.Extensions["fingerprint"])
	}
}

func (s *Server) serveSSHSession(ch ssh.Channel, requests <-chan *ssh.Request, fp string) {
	defer func() { _ = ch.Close() }()
	for req := range requests {
		if req.Type != "exec" || len(req.Payload) < 4 {
			_ = req.Reply(false, nil)
			continue
		}
		n := binary.BigEndian.Uint32(req.Payload)
		command := string(req.Payload[4:min(len(req.Payload), 4+int(n))])
		_ = req.Reply(true, nil)
		// Read what the client sends (a fetch's flush packet) up to its EOF
		// before answering, as git-upload-pack does: closing the channel
		// first makes the client's stdin copy fail with EOF.
		_, _ = io.Copy(io.Discard, io.LimitReader(ch, 1<<16))
		status := uint32(0)
		if msg := s.sshAuthorize(command, fp); msg != "" {
			_, _ = fmt.Fprintln(ch.Stderr(), msg)
			status = 1
		}
		_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
		return
	}
}

// sshAuthorize says why the key with fingerprint fp may not run command
// ("" = it may), and records its use.
func (s *Server) sshAuthorize(command, fp string) string {
	verb, arg, _ := strings.Cut(command, " ")
	write := verb == "git-receive-pack"
	if !write && verb != "git-upload-pack" {
		return "only git-upload-pack and git-receive-pack are served"
	}
	path := strings.Trim(strings.TrimSpace(arg), `'"`)
	path = strings.TrimSuffix(strings.TrimPrefix(path, "/"), ".git")
	wsRef, slug, ok := strings.Cut(path, "/")
	if !ok {
		return "repository path must be <workspace>/<repository>"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.workspace(wsRef)
	if ws == nil {
		ws = s.st.workspaces[strings.ToUpper(wsRef)]
	}
	if ws == nil || ws.repoBySlug[slug] == nil {
		return "repository " + path + " does not exist"
	}
	repo := ws.repoBySlug[slug]
	for _, k := range s.st.keyState().keys {
		if k.fingerprint != fp || k.ws != ws.slug {
			continue
		}
		reaches := k.repo == repo.slug || (k.repo == "" && (k.project == "" || k.project == repo.projectKey))
		if !reaches {
			continue
		}
		if write && !strings.HasSuffix(k.permission, "_WRITE") {
			return "the access key is read-only here"
		}
		k.lastUsed = s.clock.now()
		return ""
	}
	return "the access key has no access to " + path
}
