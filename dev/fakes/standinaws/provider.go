package standinaws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumiprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// DirEnv names the environment variable that, when set, makes the fake cloud
// file-backed: one JSON file per resource under DIR/resources and an append-only
// journal of every create, update and delete in DIR/journal.jsonl, so that tests
// can see what the engine asked the "cloud" to do across plugin processes (the
// engine starts a new plugin per operation). Unset, the cloud lives in memory.
const DirEnv = "CIRCUITBREAKER_STANDIN_AWS_DIR"

// Object is one resource in the fake cloud.
type Object struct {
	Type string `json:"type"`
	URN  string `json:"urn"`
	ID   string `json:"id"`
	// Properties in the engine's wire format (protojson of the gRPC struct), so
	// that archives, assets and secrets survive a round trip unchanged.
	Properties json.RawMessage `json:"properties"`
}

func newObject(token string, urn resource.URN, id string, state resource.PropertyMap) (Object, error) {
	s, err := marshal(state)
	if err != nil {
		return Object{}, err
	}
	b, err := protojson.Marshal(s)
	if err != nil {
		return Object{}, err
	}
	return Object{Type: token, URN: string(urn), ID: id, Properties: b}, nil
}

// Props decodes the object's properties.
func (o Object) Props() (resource.PropertyMap, error) {
	var s structpb.Struct
	if err := protojson.Unmarshal(o.Properties, &s); err != nil {
		return nil, err
	}
	return unmarshal(&s)
}

// compute runs fakeaws, turning its panics on inputs it did not expect (a
// missing key it reads) into errors that name the stand-in.
func compute(region, token, name string, inputs resource.PropertyMap) (id string, state resource.PropertyMap, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: computing the outputs of %s %s: %v", Banner, token, name, r)
		}
	}()
	id, state = fakeaws.CreateIn(region, token, name, inputs)
	return id, state, nil
}

// JournalEntry is one line of the journal: an operation the engine made the
// cloud perform (previews are not journaled: they change nothing).
type JournalEntry struct {
	Op   string `json:"op"` // create, update, delete
	Type string `json:"type"`
	URN  string `json:"urn"`
	ID   string `json:"id"`
}

// Provider is the stand-in's gRPC server.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	host *pulumiprovider.HostClient // nil in unit tests
	dir  string                     // file-backed cloud when set

	mu     sync.Mutex
	memory map[string]Object // in-memory cloud, keyed by storeKey
	ref    *Reference
	banner sync.Once
	region string // the configured Region (Configure), where every ARN lives
}

// New returns a stand-in provider; dir, when not empty, backs the fake cloud
// with files (see DirEnv).
func New(host *pulumiprovider.HostClient, dir string) (*Provider, error) {
	ref, err := LoadReference()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		if err := os.MkdirAll(filepath.Join(dir, "resources"), 0o755); err != nil {
			return nil, err
		}
	}
	return &Provider{host: host, dir: dir, memory: map[string]Object{}, ref: ref, region: defaultRegion()}, nil
}

// opts: like pulumi-aws, the stand-in takes neither secrets nor resource
// references (Configure says so); a reference that reaches it anyway becomes
// the referenced resource's ID, or its URN when it has none, as the engine
// downgrades one for such a provider (sdk/go/common/resource/plugin/rpc.go,
// UnmarshalPropertyValue and MarshalPropertyValue with KeepResources false).
var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: false, KeepResources: false, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

// GetPluginInfo reports the aws version the stand-in answers for.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetSchema returns the few aws types the breaker's schema references and the
// examples create; its description carries the banner. Its version is the one
// the stand-in was linked as (Version), like the real plugin's schema, whose
// version is its release's.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	if Version == embeddedVersion {
		return &pulumirpc.GetSchemaResponse{Schema: string(schemaJSON)}, nil
	}
	var s map[string]json.RawMessage
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return nil, err
	}
	v, err := json.Marshal(Version)
	if err != nil {
		return nil, err
	}
	s["version"] = v
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// CheckConfig accepts any provider configuration (region, profile, ...); the
// Region is read in Configure.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig never asks for the provider to be replaced.
func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure takes the Region the resources are created in, says what the
// engine may send and logs the banner once, so every run through the stand-in
// says so in its output.
//
// What the engine may send is what pulumi-aws answers: its muxed server takes
// the AND of its SDKv2 and Plugin Framework servers'
// (pulumi-terraform-bridge pkg/x/muxer/muxer.go, Configure), and the SDKv2
// server's ConfigureResponse sets neither AcceptSecrets nor AcceptResources
// (pkg/tfbridge/provider.go, Configure). So the engine sends a resource
// reference in an input as the referenced resource's ID (its URN when it has
// none), e.g. `topic: breaker.topic` as the topic's ARN, and keeps the
// secretness of outputs itself.
func (p *Provider) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.banner.Do(func() {
		fmt.Fprintln(os.Stderr, Banner)
		if p.host != nil {
			_ = p.host.Log(ctx, diag.Info, "", Banner)
		}
	})
	region, err := configuredRegion(req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.region = region
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: true, AcceptResources: false}, nil
}

// configuredRegion is the provider's `region` input (the stack's aws:region),
// else AWS_REGION, else AWS_DEFAULT_REGION, as pulumi-aws reads it (its
// schema's config default; pulumi-aws sdk/v6 v6.83.4 go/aws/provider.go and
// go/aws/config/config.go: GetEnvOrDefault(..., "AWS_REGION",
// "AWS_DEFAULT_REGION")). Unlike pulumi-aws, which cannot run without a
// Region, the stand-in then falls back to us-east-1 (fakeaws.Region).
func configuredRegion(req *pulumirpc.ConfigureRequest) (string, error) {
	if req.GetArgs() != nil {
		args, err := unmarshal(req.GetArgs())
		if err != nil {
			return "", err
		}
		if r := fakeaws.String(args["region"]); r != "" {
			return r, nil
		}
	}
	if r := req.GetVariables()["aws:config:region"]; r != "" {
		return r, nil
	}
	return defaultRegion(), nil
}

func defaultRegion() string {
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(env); r != "" {
			return r
		}
	}
	return fakeaws.Region
}

func (p *Provider) currentRegion() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.region
}

// Check refuses what the real provider's Check refuses for these types (see
// check.go and reference/standin.json) and, like it, fills in the auto-name.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	token := string(urn.Type())
	ref, ok := p.ref.Resources[token]
	if !ok {
		// The bridge's own error for a type it does not map
		// (pkg/tfbridge/provider.go, Check).
		return nil, fmt.Errorf("unrecognized resource type (Check): %s (%s has no reference for it: add it to dev/fakes/standinaws/gen and dev/tools/tfawsschema)", token, Banner)
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	if err := autoName(token, ref, urn.Name(), news, olds); err != nil {
		return nil, err
	}
	failures := checkInputs(ref, urn.Name(), news)
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the old inputs with the new ones, property by property (see
// diff).
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if req.GetOldInputs() == nil {
		// State written before old inputs were recorded: outputs hold the inputs too.
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ref, ok := p.ref.Resources[string(urn.Type())]
	if !ok {
		return nil, fmt.Errorf("unrecognized resource type (Diff): %s (%s)", urn.Type(), Banner)
	}
	return diff(ref, olds, news, req.GetIgnoreChanges()), nil
}

// diff reports the changed inputs; a change the Terraform provider marks
// ForceNew (at any depth) replaces the resource, and a Terraform set is
// compared without regard to order, as the provider plans them.
func diff(ref *ResourceRef, olds, news resource.PropertyMap, ignore []string) *pulumirpc.DiffResponse {
	changed := map[string]bool{}
	if d := olds.Diff(news); d != nil {
		for _, k := range d.ChangedKeys() {
			if p := ref.Inputs[string(k)]; p != nil && p.Set && sameSet(olds[k], news[k]) {
				continue
			}
			changed[string(k)] = true
		}
	}
	for _, k := range ignore {
		delete(changed, k)
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}
	}
	keys := make([]string, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:           keys,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for _, k := range keys {
		kind := pulumirpc.PropertyDiff_UPDATE
		switch _, inOld := olds[resource.PropertyKey(k)]; {
		case !inOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !news.HasValue(resource.PropertyKey(k)):
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if p := ref.Inputs[k]; p != nil && forcesNew(p, olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]) {
			resp.Replaces = append(resp.Replaces, k)
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[kind]
		}
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	if len(resp.Replaces) > 0 {
		resp.DeleteBeforeReplace = ref.DeleteBeforeReplace
	}
	return resp
}

// Create computes what AWS would (fakeaws) and stores the object. In a preview
// the computed outputs are unknown, as with the real provider, so that the
// engine's handling of unknowns is exercised.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	token := string(urn.Type())
	region := p.currentRegion()
	if req.GetPreview() || inputs.ContainsUnknowns() {
		state := inputs.Copy()
		_, computed, err := compute(region, token, urn.Name(), placeholders(inputs))
		if err != nil {
			return nil, err
		}
		for k := range computed {
			if _, ok := inputs[k]; !ok {
				state[k] = resource.MakeComputed(resource.NewStringProperty(""))
			}
		}
		props, err := marshal(state)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	id, state, err := compute(region, token, urn.Name(), inputs)
	if err != nil {
		return nil, err
	}
	obj, err := newObject(token, urn, id, state)
	if err != nil {
		return nil, err
	}
	if err := p.put(p.storeKey(token, id, state), obj); err != nil {
		return nil, err
	}
	if err := p.journal(JournalEntry{Op: "create", Type: token, URN: string(urn), ID: id}); err != nil {
		return nil, err
	}
	props, err := marshal(state)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

// placeholders stands in empty strings for unknown values, so fakeaws can say
// which outputs it would compute.
func placeholders(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if v.ContainsUnknowns() {
			v = resource.NewStringProperty("")
		}
		out[k] = v
	}
	return out
}

// Read returns the stored object (nothing drifts), or, for a file-backed cloud,
// reports the resource gone when its file was removed.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	urn := resource.URN(req.GetUrn())
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	obj, ok, err := p.get(p.storeKey(string(urn.Type()), req.GetId(), props))
	if err != nil {
		return nil, err
	}
	if !ok {
		if p.dir != "" {
			return &pulumirpc.ReadResponse{}, nil // deleted out of band
		}
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	var stored structpb.Struct
	if err := protojson.Unmarshal(obj.Properties, &stored); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: obj.ID, Properties: &stored, Inputs: req.GetInputs()}, nil
}

// Update recomputes the outputs from the new inputs; the ID and the physical
// name stay (fakeaws derives them from the logical name).
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	token := string(urn.Type())
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() || news.ContainsUnknowns() {
		state := olds.Copy()
		for k, v := range news {
			state[k] = v
		}
		props, err := marshal(state)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	_, state, err := compute(p.currentRegion(), token, urn.Name(), news)
	if err != nil {
		return nil, err
	}
	obj, err := newObject(token, urn, req.GetId(), state)
	if err != nil {
		return nil, err
	}
	if err := p.put(p.storeKey(token, req.GetId(), olds), obj); err != nil {
		return nil, err
	}
	if err := p.journal(JournalEntry{Op: "update", Type: token, URN: string(urn), ID: req.GetId()}); err != nil {
		return nil, err
	}
	props, err := marshal(state)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// Delete forgets the object.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(req.GetUrn())
	token := string(urn.Type())
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := p.del(p.storeKey(token, req.GetId(), props)); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, p.journal(JournalEntry{Op: "delete", Type: token, URN: string(urn), ID: req.GetId()})
}

// Invoke serves the data sources the component and the examples call, for the
// fake account (fakeaws); any other function fails, naming the stand-in.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	out, ok := invokes[req.GetTok()]
	if req.GetTok() == "aws:index/getRegion:getRegion" {
		out = regionResult(p.currentRegion())
	}
	if !ok {
		return nil, fmt.Errorf("%s: function %s is not implemented", Banner, req.GetTok())
	}
	ret, err := marshal(resource.NewPropertyMapFromMap(out))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// invokes are the data sources' results for the fake account and region. The
// property names are those of the SDK's result types (aws.GetCallerIdentityResult,
// GetPartitionResult, GetRegionResult; provider_test.go checks them), the
// values shaped as AWS returns them (STS GetCallerIdentity: account, ARN and
// user ID of the caller).
var invokes = map[string]map[string]any{
	"aws:index/getCallerIdentity:getCallerIdentity": {
		"accountId": fakeaws.Account,
		"arn":       "arn:aws:iam::" + fakeaws.Account + ":user/standin-deployer",
		"userId":    "AIDASTANDINDEPLOYER01",
		"id":        fakeaws.Account,
	},
	"aws:index/getPartition:getPartition": {
		"dnsSuffix":        "amazonaws.com",
		"id":               "aws",
		"partition":        "aws",
		"reverseDnsPrefix": "com.amazonaws",
	},
	"aws:index/getRegion:getRegion": regionResult(fakeaws.Region),
}

// regionResult is getRegion's answer for the configured Region (the
// descriptions are the EC2 DescribeRegions names of a few Regions).
func regionResult(region string) map[string]any {
	description := map[string]string{
		"us-east-1":    "US East (N. Virginia)",
		"us-west-2":    "US West (Oregon)",
		"eu-west-1":    "Europe (Ireland)",
		"eu-central-1": "Europe (Frankfurt)",
	}[region]
	if description == "" {
		description = region
	}
	return map[string]any{
		"description": description,
		"endpoint":    "ec2." + region + ".amazonaws.com",
		"id":          region,
		"name":        region,
	}
}

// Cancel has nothing to stop.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// storeKey names one object of the fake cloud as AWS tells objects apart:
// by type, Region (IAM roles and policies and CloudWatch dashboards are
// global), ID and, where the provider's ID is unique only within a parent,
// that parent (a metric filter's name within its log group, a permission's
// statement ID within its function's policy). props are the object's inputs
// or state.
func (p *Provider) storeKey(token, id string, props resource.PropertyMap) string {
	scope := p.currentRegion()
	if strings.HasPrefix(token, "aws:iam/") || token == "aws:cloudwatch/dashboard:Dashboard" {
		scope = "global"
	}
	switch token {
	case "aws:cloudwatch/logMetricFilter:LogMetricFilter":
		scope += "\x00" + fakeaws.String(props["logGroupName"])
	case "aws:lambda/permission:Permission":
		scope += "\x00" + fakeaws.String(props["function"]) + "\x00" + fakeaws.String(props["qualifier"])
	}
	sum := sha256.Sum256([]byte(token + "\x00" + scope + "\x00" + id))
	return hex.EncodeToString(sum[:16])
}

func (p *Provider) put(key string, o Object) error {
	if p.dir == "" {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.memory[key] = o
		return nil
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	// Write then rename: a concurrent reader sees the old or the new object.
	path := filepath.Join(p.dir, "resources", key+".json")
	tmp := fmt.Sprintf("%s.%d.tmp", path, time.Now().UnixNano())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (p *Provider) get(key string) (Object, bool, error) {
	if p.dir == "" {
		p.mu.Lock()
		defer p.mu.Unlock()
		o, ok := p.memory[key]
		return o, ok, nil
	}
	b, err := os.ReadFile(filepath.Join(p.dir, "resources", key+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, err
	}
	var o Object
	return o, true, json.Unmarshal(b, &o)
}

func (p *Provider) del(key string) error {
	if p.dir == "" {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.memory, key)
		return nil
	}
	err := os.Remove(filepath.Join(p.dir, "resources", key+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (p *Provider) journal(e JournalEntry) error {
	if p.dir == "" {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// One short O_APPEND write per entry: lines from concurrent plugin
	// processes do not interleave.
	f, err := os.OpenFile(filepath.Join(p.dir, "journal.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadCloud lists the objects of a file-backed cloud (for tests).
func ReadCloud(dir string) ([]Object, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "resources"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "resources", e.Name()))
		if err != nil {
			return nil, err
		}
		var o Object
		if err := json.Unmarshal(b, &o); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].URN < objs[j].URN })
	return objs, nil
}

// ReadJournal returns a file-backed cloud's journal (for tests).
func ReadJournal(dir string) ([]JournalEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []JournalEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var e JournalEntry
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
