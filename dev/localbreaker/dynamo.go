package localbreaker

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// DynamoCounter is a pass-through proxy in front of dynalite that counts the
// DynamoDB operations of the Lambdas pointed at it: their reads and writes are
// billed too, and sfnlocal only sees the state machine's own.
type DynamoCounter struct {
	URL string
	mu  sync.Mutex
	ops map[string]int
}

func countDynamo(tb testenv.T, endpoint string) *DynamoCounter {
	tb.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		tb.Fatalf("localbreaker: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("localbreaker: %v", err)
	}
	c := &DynamoCounter{URL: "http://" + l.Addr().String(), ops: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// X-Amz-Target: DynamoDB_20120810.GetItem
		if _, op, ok := strings.Cut(r.Header.Get("X-Amz-Target"), "."); ok {
			c.mu.Lock()
			c.ops[op]++
			c.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return c
}

// Ops is how many calls of each operation went through, e.g. GetItem: 3.
func (c *DynamoCounter) Ops() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

// CountDynamo starts a counting pass-through proxy in front of the DynamoDB
// at endpoint for any client, e.g. the bench's peer (dev/bench): point the
// client at its URL.
func CountDynamo(tb testenv.T, endpoint string) *DynamoCounter { return countDynamo(tb, endpoint) }
