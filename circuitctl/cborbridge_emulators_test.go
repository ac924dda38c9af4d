//go:build emulators

package circuitctl_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

// cborBridge lets the CloudWatch client talk to moto. aws-sdk-go-v2's
// cloudwatch speaks smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/OP);
// moto 5 serves CloudWatch's awsJson1_0 protocol (POST / with X-Amz-Target
// GraniteServiceVersion20100801.OP), which the service model lists beside
// CBOR and query (botocore's cloudwatch service-2.json: "protocols":
// ["smithy-rpc-v2-cbor", "json", "query"]). The bridge re-encodes the request
// body as JSON and the response as CBOR, field for field; timestamps are
// CBOR tag 1 (epoch seconds) on one side and epoch-second numbers on the
// other (Smithy, "RPC v2 CBOR protocol" and "AWS JSON 1.0 protocol"). The
// signature, which moto does not check, no longer matches the body; its
// credential scope still names the service.
type cborBridge struct{ endpoint string }

const cloudWatchTarget = "GraniteServiceVersion20100801"

func (b cborBridge) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	op, ok := strings.CutPrefix(r.URL.Path, "/service/"+cloudWatchTarget+"/operation/")
	if !ok {
		return nil, fmt.Errorf("cborBridge: not a CloudWatch RPC v2 call: %s", r.URL.Path)
	}
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" { // PutMetricData's request compression
		if in, err = gzip.NewReader(r.Body); err != nil {
			return nil, err
		}
	}
	raw, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	var doc any = map[string]any{}
	if len(raw) > 0 {
		v, err := smithycbor.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("cborBridge: request: %w", err)
		}
		doc = fromCBOR(v)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, b.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", cloudWatchTarget+"."+op)
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	req.Header.Set("X-Amz-Date", r.Header.Get("X-Amz-Date"))
	moto, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer moto.Body.Close()
	out, err := io.ReadAll(moto.Body)
	if err != nil {
		return nil, err
	}
	var js any = map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if err := d.Decode(&js); err != nil {
			return nil, fmt.Errorf("cborBridge: moto answered %d with no JSON: %s", moto.StatusCode, out)
		}
	}
	if m, ok := js.(map[string]any); ok && moto.StatusCode >= 300 {
		// awsJson names the error in __type; RPC v2 CBOR does too.
		if _, ok := m["__type"]; !ok {
			m["__type"] = moto.Header.Get("X-Amzn-Errortype")
		}
	}
	enc := smithycbor.Encode(toCBOR(js, ""))
	h := http.Header{}
	h.Set("Content-Type", "application/cbor")
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	return &http.Response{StatusCode: moto.StatusCode, Status: moto.Status, Header: h, Body: io.NopCloser(bytes.NewReader(enc)),
		ContentLength: int64(len(enc)), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

func fromCBOR(v smithycbor.Value) any {
	switch x := v.(type) {
	case smithycbor.Map:
		m := map[string]any{}
		for k, e := range x {
			m[k] = fromCBOR(e)
		}
		return m
	case smithycbor.List:
		l := []any{}
		for _, e := range x {
			l = append(l, fromCBOR(e))
		}
		return l
	case smithycbor.String:
		return string(x)
	case smithycbor.Uint:
		return uint64(x)
	case smithycbor.NegInt:
		return -int64(x)
	case smithycbor.Float32:
		return float64(x)
	case smithycbor.Float64:
		return float64(x)
	case smithycbor.Bool:
		return bool(x)
	case *smithycbor.Tag:
		return fromCBOR(x.Value) // tag 1: epoch seconds, as awsJson writes timestamps
	case smithycbor.Tag:
		return fromCBOR(x.Value)
	}
	return nil
}

// isTimestamp: the CloudWatch response members that are timestamps (the
// service model's shapes: MetricDataResult.Timestamps, and every *Timestamp
// member of MetricAlarm).
func isTimestamp(key string) bool {
	return key == "Timestamps" || strings.HasSuffix(key, "Timestamp")
}

func toCBOR(v any, key string) smithycbor.Value {
	switch x := v.(type) {
	case map[string]any:
		m := smithycbor.Map{}
		for k, e := range x {
			m[k] = toCBOR(e, k)
		}
		return m
	case []any:
		l := smithycbor.List{}
		for _, e := range x {
			l = append(l, toCBOR(e, key))
		}
		return l
	case string:
		return smithycbor.String(x)
	case json.Number:
		f, _ := x.Float64()
		if isTimestamp(key) {
			return &smithycbor.Tag{ID: 1, Value: smithycbor.Float64(f)}
		}
		if f == math.Trunc(f) && f >= 0 && !strings.ContainsAny(x.String(), ".eE") {
			return smithycbor.Uint(uint64(f))
		}
		return smithycbor.Float64(f)
	case bool:
		return smithycbor.Bool(x)
	case nil:
		return &smithycbor.Nil{}
	}
	return &smithycbor.Nil{}
}
