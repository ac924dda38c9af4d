package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// moto (Apache-2.0, `make deps` installs moto[server] into bin/moto) is the
// stand-in for what dynalite lacks: DynamoDB Streams, EventBridge rules and
// SQS. Its server answers every service on one port, telling them apart by the
// request's signing scope and X-Amz-Target, as the SDKs send them.

func motoServer() (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		return p, nil
	}
	p := filepath.Join(RepoRoot(), "bin", "moto", "bin", "moto_server")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("moto_server is not installed at %s (or set MOTO_SERVER): %w", p, errMissing)
	}
	return p, nil
}

// Moto starts one moto server on 127.0.0.1 for this test and stops it when
// the test ends.
func Moto(t T) (endpoint string) {
	t.Helper()
	server, err := motoServer()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		env := append(os.Environ(), "MOTO_PORT="+strconv.Itoa(port))
		p, err := startProcess("moto", []string{server, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}, env, "")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		if err := p.waitListening(addr); err != nil {
			p.kill()
			lastErr = err
			if p.exited() {
				continue
			}
			t.Fatalf("testenv: moto: %v", err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("moto output:\n%s", p.out.String())
			}
			p.kill()
		})
		return "http://" + addr
	}
	t.Fatalf("testenv: moto: %v", lastErr)
	return ""
}

// awsJSON calls an AWS JSON-protocol API (DynamoDB Streams, SQS) on an
// emulator the way the SDKs do: POST / with X-Amz-Target and the service's
// signing scope (signing service "dynamodb" for DynamoDB Streams too, "sqs"
// for SQS), from which moto picks the service. The signature is not checked.
// The raw JSON is returned, so that callers read records in the wire shape
// AWS documents.
func awsJSON(endpoint, signingService, contentType, target string, in any) (json.RawMessage, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	day := time.Now().UTC().Format("20060102")
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+FakeAccessKeyID+"/"+day+"/"+FakeRegion+"/"+signingService+
		"/aws4_request, SignedHeaders=content-type;host;x-amz-target, Signature=0")
	resp, err := motoClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", target, resp.StatusCode, out)
	}
	return out, nil
}

var motoClient = &http.Client{Timeout: 30 * time.Second}
