package statemachine

import (
	"math"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

func validConfig() Config {
	return Config{
		ServiceName:              "orders",
		TableName:                "circuits",
		DownstreamArn:            "arn:aws:lambda:us-east-1:123456789012:function:orders",
		DownstreamTimeoutSeconds: 10,
		FallbackTimeoutSeconds:   5, // used only with a FallbackArn
		FailureThreshold:         circuit.DefaultFailureThreshold,
		HalfOpenMaxCalls:         circuit.DefaultHalfOpenMaxCalls,
		SuccessThreshold:         circuit.DefaultSuccessThreshold,
		ControllerArn:            "arn:aws:lambda:us-east-1:123456789012:function:orders-breaker-controller",
	}
}

func TestValidConfigs(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"minimal": func(*Config) {},
		"alias":   func(c *Config) { c.DownstreamArn += ":live" },
		"version": func(c *Config) { c.DownstreamArn += ":42" },
		"latest":  func(c *Config) { c.DownstreamArn += ":$LATEST" },
		"china partition": func(c *Config) {
			c.DownstreamArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders"
			c.ControllerArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:controller"
		},
		"govcloud": func(c *Config) {
			c.DownstreamArn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders"
			c.ControllerArn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:controller"
		},
		"trip at once":         func(c *Config) { c.FailureThreshold = 1 },
		"several probes":       func(c *Config) { c.HalfOpenMaxCalls, c.SuccessThreshold = 10, 10 },
		"ignored errors":       func(c *Config) { c.IgnoreErrors = []string{"ValidationError", "States.Timeout"} },
		"fallback":             func(c *Config) { c.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:fallback:live" },
		"controller versioned": func(c *Config) { c.ControllerArn += ":3" },
		"odd service name":     func(c *Config) { c.ServiceName = `svc "quoted" <&> ünïcode/..$` },
		"table name chars":     func(c *Config) { c.TableName = "my_table-1.v2" },
		"max timeout":          func(c *Config) { c.DownstreamTimeoutSeconds = 900 },
		"no retry":             func(c *Config) { c.Retry = &RetryPolicy{} },
		"default errors":       func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 1} },
		"retry all": func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 1, Errors: []string{"States.ALL"}}
		},
		"capped delay": func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 5, IntervalSeconds: 2, BackoffRate: 3.5, MaxDelaySeconds: 10}
		},
		"fractional backoff": func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 2, IntervalSeconds: 1, BackoffRate: 1.5} },
		"max service name":   func(c *Config) { c.ServiceName = strings.Repeat("s", maxServiceNameBytes) },
		"explicit default":   func(c *Config) { r := DefaultRetry(); c.Retry = &r },
		"named function errs": func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 2, Errors: []string{"DownstreamBusy"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			mutate(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if _, err := Definition(c); err != nil {
				t.Fatalf("Definition: %v", err)
			}
		})
	}
}

// Each bad field is reported with the field's name, so users know what to fix.
func TestInvalidConfigNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		field  string
	}{
		{"empty service", func(c *Config) { c.ServiceName = "" }, "Config.ServiceName"},
		{"blank service", func(c *Config) { c.ServiceName = "  \t" }, "Config.ServiceName"},
		{"invalid utf-8", func(c *Config) { c.ServiceName = "a\xffb" }, "Config.ServiceName"},
		{"service too long", func(c *Config) { c.ServiceName = strings.Repeat("s", maxServiceNameBytes+1) }, "Config.ServiceName"},
		{"empty table", func(c *Config) { c.TableName = "" }, "Config.TableName"},
		{"short table", func(c *Config) { c.TableName = "ab" }, "Config.TableName"},
		{"table with slash", func(c *Config) { c.TableName = "a/b/c" }, "Config.TableName"},
		{"table ARN", func(c *Config) { c.TableName = "arn:aws:dynamodb:us-east-1:123456789012:table/circuits" }, "Config.TableName"},
		{"long table", func(c *Config) { c.TableName = strings.Repeat("t", 256) }, "Config.TableName"},
		{"empty arn", func(c *Config) { c.DownstreamArn = "" }, "Config.DownstreamArn"},
		{"function name only", func(c *Config) { c.DownstreamArn = "orders" }, "Config.DownstreamArn"},
		{"not lambda", func(c *Config) { c.DownstreamArn = "arn:aws:sqs:us-east-1:123456789012:orders" }, "Config.DownstreamArn"},
		{"bad account", func(c *Config) { c.DownstreamArn = "arn:aws:lambda:us-east-1:1234:function:orders" }, "Config.DownstreamArn"},
		{"trailing colon", func(c *Config) { c.DownstreamArn = "arn:aws:lambda:us-east-1:123456789012:function:orders:" }, "Config.DownstreamArn"},
		{"zero timeout", func(c *Config) { c.DownstreamTimeoutSeconds = 0 }, "Config.DownstreamTimeoutSeconds"},
		{"negative timeout", func(c *Config) { c.DownstreamTimeoutSeconds = -1 }, "Config.DownstreamTimeoutSeconds"},
		{"timeout over lambda max", func(c *Config) { c.DownstreamTimeoutSeconds = 901 }, "Config.DownstreamTimeoutSeconds"},
		{"negative attempts", func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: -1} }, "Config.Retry.MaxAttempts"},
		{"zero interval", func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 1, BackoffRate: 2} }, "Config.Retry.IntervalSeconds"},
		{"backoff below 1", func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 0.5} }, "Config.Retry.BackoffRate"},
		{"backoff NaN", func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: math.NaN()} }, "Config.Retry.BackoffRate"},
		{"backoff Inf", func(c *Config) { c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: math.Inf(1)} }, "Config.Retry.BackoffRate"},
		{"negative max delay", func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: -1}
		}, "Config.Retry.MaxDelaySeconds"},
		{"huge max delay", func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: maxDelaySeconds + 1}
		}, "Config.Retry.MaxDelaySeconds"},
		{"empty error name", func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 2, Errors: []string{"Lambda.ServiceException", ""}}
		}, "Config.Retry.Errors[1]"},
		{"States.ALL with others", func(c *Config) {
			c.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 2, Errors: []string{"States.ALL", "Lambda.ServiceException"}}
		}, "Config.Retry.Errors[0]"},
		{"zero failure threshold", func(c *Config) { c.FailureThreshold = 0 }, "Config.FailureThreshold"},
		{"negative failure threshold", func(c *Config) { c.FailureThreshold = -3 }, "Config.FailureThreshold"},
		{"zero half-open calls", func(c *Config) { c.HalfOpenMaxCalls = 0 }, "Config.HalfOpenMaxCalls"},
		{"zero success threshold", func(c *Config) { c.SuccessThreshold = 0 }, "Config.SuccessThreshold"},
		{"success threshold over max calls", func(c *Config) { c.HalfOpenMaxCalls, c.SuccessThreshold = 2, 3 }, "Config.SuccessThreshold"},
		// The ranges are the circuit's (circuit/defaults.go), the component's too.
		{"failure threshold over its range", func(c *Config) { c.FailureThreshold = circuit.FailureThresholdRange.Max + 1 }, "Config.FailureThreshold"},
		{"half-open calls over their range", func(c *Config) { c.HalfOpenMaxCalls = circuit.HalfOpenMaxCallsRange.Max + 1 }, "Config.HalfOpenMaxCalls"},
		{"empty ignored error", func(c *Config) { c.IgnoreErrors = []string{"A", " "} }, "Config.IgnoreErrors[1]"},
		{"ignoring everything", func(c *Config) { c.IgnoreErrors = []string{"States.ALL"} }, "Config.IgnoreErrors[0]"},
		{"ignoring every task failure", func(c *Config) { c.IgnoreErrors = []string{"States.TaskFailed"} }, "Config.IgnoreErrors[0]"},
		{"ignored error twice", func(c *Config) { c.IgnoreErrors = []string{"A", "B", "A"} }, "Config.IgnoreErrors[2]"},
		{"missing controller", func(c *Config) { c.ControllerArn = "" }, "Config.ControllerArn"},
		{"controller not an arn", func(c *Config) { c.ControllerArn = "controller" }, "Config.ControllerArn"},
		{"controller is the downstream", func(c *Config) { c.ControllerArn = c.DownstreamArn }, "Config.ControllerArn"},
		{"controller in another partition", func(c *Config) {
			c.ControllerArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:controller"
		}, "Config.ControllerArn"},
		{"fallback not an arn", func(c *Config) { c.FallbackArn = "arn:aws:sns:us-east-1:123456789012:topic" }, "Config.FallbackArn"},
		{"fallback is the downstream", func(c *Config) { c.FallbackArn = c.DownstreamArn }, "Config.FallbackArn"},
		{"fallback without a timeout", func(c *Config) {
			c.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:fallback"
			c.FallbackTimeoutSeconds = 0
		}, "Config.FallbackTimeoutSeconds"},
		{"fallback timeout above Lambda's", func(c *Config) {
			c.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:fallback"
			c.FallbackTimeoutSeconds = 901
		}, "Config.FallbackTimeoutSeconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate accepted %+v", c)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("error does not name %s: %v", tc.field, err)
			}
			if def, err2 := Definition(c); err2 == nil || def != "" {
				t.Fatalf("Definition produced a document for an invalid config (err %v)", err2)
			}
		})
	}
}

func TestAllInvalidFieldsReportedAtOnce(t *testing.T) {
	err := Config{Retry: &RetryPolicy{MaxAttempts: 1}}.Validate()
	if err == nil {
		t.Fatal("Validate accepted the zero Config")
	}
	for _, field := range []string{"ServiceName", "TableName", "DownstreamArn", "DownstreamTimeoutSeconds", "Retry.IntervalSeconds", "Retry.BackoffRate",
		"FailureThreshold", "HalfOpenMaxCalls", "SuccessThreshold", "ControllerArn"} {
		if !strings.Contains(err.Error(), "Config."+field+":") {
			t.Errorf("error does not mention %s: %v", field, err)
		}
	}
}

// With no retries, the other retry fields are irrelevant and not checked.
func TestNoRetryIgnoresOtherRetryFields(t *testing.T) {
	c := validConfig()
	c.Retry = &RetryPolicy{MaxAttempts: 0, IntervalSeconds: -5, BackoffRate: 0}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// The defaults retry only Lambda's own transient errors, never function errors.
func TestDefaultRetry(t *testing.T) {
	d := DefaultRetry()
	if d.MaxAttempts < 1 || d.IntervalSeconds < 1 || d.BackoffRate < 1 {
		t.Fatalf("DefaultRetry is not a valid retry: %+v", d)
	}
	want := []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
	if strings.Join(d.Errors, ",") != strings.Join(want, ",") {
		t.Fatalf("DefaultRetry.Errors = %v, want %v", d.Errors, want)
	}
	// Callers get their own copy.
	TransientLambdaErrors()[0] = "mutated"
	if TransientLambdaErrors()[0] != want[0] {
		t.Fatal("TransientLambdaErrors shares its backing array")
	}
}
