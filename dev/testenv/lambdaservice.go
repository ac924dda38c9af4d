package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The RIE answers a function error exactly like a result: HTTP 200, the error
// JSON as body, no header (its ResponseWriterProxy drops every header; read in
// aws/aws-lambda-runtime-interface-emulator internal/lambda/rie/handlers.go and
// util.go at the pinned pseudo-version, and seen: a handler error and a result
// {"errorMessage": ...} come back byte-for-byte alike). Lambda itself tells them
// apart: its Invoke API sets X-Amz-Function-Error ("If present, indicates that
// an error occurred during function execution", Lambda API reference, Invoke)
// when the runtime reported the invocation to /runtime/invocation/{id}/error,
// whatever the body looks like. Step Functions goes by that signal, so a test
// that recognised errors by the body's shape would accept a Python error (which
// carries requestId and stackTrace) as a result, or a result that happens to
// have errorMessage as an error.
//
// lambdaFront gives the RIE that signal back: the bootstrap talks to the RIE's
// Runtime API through it (so it sees which invocations were reported as
// errors), and invokes go through it (so it can set the header). Nothing else
// changes: same body, same status.
type lambdaFront struct {
	invoke *http.Server
	api    *http.Server
	// InvokeURL of the front, and the RIE's own.
	url, rieURL string
	// The front's listening addresses (host:port).
	apiAddr, invokeAddr string

	mu     sync.Mutex
	failed map[string]bool // request ids the runtime reported to /error
	// initFailed: the runtime reported /runtime/init/error; Lambda then fails
	// the invocation that started it as a function error.
	initFailed bool
}

// FunctionErrorHeader is Lambda's function-error signal on an Invoke response.
const FunctionErrorHeader = "X-Amz-Function-Error"

var invocationErrorPath = regexp.MustCompile(`^/2018-06-01/runtime/invocation/([^/]+)/error$`)

// newLambdaFront listens on two free 127.0.0.1 ports: the Runtime API the
// bootstrap is pointed at (forwarding to rieAPI, the RIE's
// --runtime-api-address) and the invoke endpoint (forwarding to rieInvokeURL).
func newLambdaFront(rieAPI, rieInvokeURL string) (*lambdaFront, string, error) {
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	invokeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		apiLn.Close()
		return nil, "", err
	}
	f := &lambdaFront{rieURL: rieInvokeURL, failed: map[string]bool{},
		apiAddr: apiLn.Addr().String(), invokeAddr: invokeLn.Addr().String()}
	f.url = "http://" + invokeLn.Addr().String() + "/2015-03-31/functions/function/invocations"

	target := &url.URL{Scheme: "http", Host: rieAPI}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// /next is a long poll: pass bytes on as they come.
	proxy.FlushInterval = -1
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// The bootstrap's pending /next is cut when the test stops the RIE.
		if !errors.Is(err, context.Canceled) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}
	f.api = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if m := invocationErrorPath.FindStringSubmatch(r.URL.Path); m != nil {
				f.mu.Lock()
				f.failed[m[1]] = true
				f.mu.Unlock()
			} else if r.URL.Path == "/2018-06-01/runtime/init/error" {
				f.mu.Lock()
				f.initFailed = true
				f.mu.Unlock()
			}
		}
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	f.invoke = &http.Server{Handler: http.HandlerFunc(f.serveInvoke), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.api.Serve(apiLn) }()
	go func() { _ = f.invoke.Serve(invokeLn) }()
	return f, apiLn.Addr().String(), nil
}

func (f *lambdaFront) serveInvoke(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The RIE takes the invocation's id from this header, as Lambda's front end
	// does; the runtime reports errors under it.
	id := r.Header.Get("X-Amzn-RequestId")
	if id == "" {
		id = newUUID()
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, f.rieURL, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range []string{"Content-Type", "X-Amz-Client-Context", "X-Amzn-Trace-Id"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	f.mu.Lock()
	failed := f.failed[id] || f.initFailed
	delete(f.failed, id)
	f.initFailed = false
	f.mu.Unlock()
	w.Header().Set("X-Amzn-RequestId", id)
	w.Header().Set("Content-Type", "application/json")
	if failed {
		// Lambda's value for every runtime-reported error today ("Handled"
		// was the old Node.js callback API's).
		w.Header().Set(FunctionErrorHeader, "Unhandled")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// holds reports whether one of the front's own listeners is on addr.
func (f *lambdaFront) holds(addr string) bool {
	return addr == f.apiAddr || addr == f.invokeAddr
}

func (f *lambdaFront) close() {
	_ = f.invoke.Close()
	_ = f.api.Close()
}

// wrapBootstrap writes an executable next to nothing of the caller's: a script
// in dir that points the bootstrap at the front's Runtime API (the RIE sets
// AWS_LAMBDA_RUNTIME_API to its own address) and execs it, so that the
// bootstrap keeps its pid and its process group handling.
func wrapBootstrap(dir, bootstrap, apiAddr string) (string, error) {
	path := filepath.Join(dir, "bootstrap")
	script := fmt.Sprintf("#!/bin/sh\nAWS_LAMBDA_RUNTIME_API=%s exec %s \"$@\"\n", apiAddr, shellQuote(bootstrap))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", err
	}
	return path, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
