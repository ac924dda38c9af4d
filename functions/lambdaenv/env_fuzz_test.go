package lambdaenv_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	controller "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	eventpublisher "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
)

// The environments the component renders for the three Lambdas (each
// config's Env of a sound configuration): the seeds, and what a fuzzed
// variable is set into.
var (
	policy       = circuit.Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 600 * time.Second, BackoffMultiplier: 2}
	alarmEnv     = alarmhandler.Config{TableName: "circuits", ServiceName: "payments", DownstreamAlarmName: "d", HealthcheckAlarmName: "h", SlowCallAlarmName: "s", Policy: policy, DeadLetterQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq", HealthcheckAlarmWindow: 240 * time.Second, TopicArn: "arn:aws:sns:us-east-1:123456789012:alarms", FunctionName: "payments-alarm-handler", ProbeTimeout: 40 * time.Second}.Env()
	runnerEnv    = controller.Config{TableName: "circuits", ServiceName: "payments", Policy: policy, Probes: circuit.ProbePolicy{MaxCalls: 2, Timeout: 40 * time.Second}, Healthcheck: controller.HealthcheckConfig{FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:health:live", Policy: circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 240 * time.Second}}}.Env()
	publisherEnv = eventpublisher.Config{BusName: "default", TableName: "circuits", ServiceName: "payments"}.Env()
)

// FuzzLambdaEnvironment: one variable of a Lambda's environment set to any
// value (the component writes them; anyone who may update the function's
// configuration can too). Whatever it holds, reading the configuration
// does not panic (a panic at start fails every invocation with no message
// saying why), a refusal names what is wrong, and what is accepted renders
// back (Env) to an environment that reads as the same configuration.
func FuzzLambdaEnvironment(f *testing.F) {
	for lambda, env := range []map[string]string{alarmEnv, runnerEnv, publisherEnv} {
		for name, value := range env {
			f.Add(uint8(lambda), name, value)
			f.Add(uint8(lambda), name, "")
		}
	}
	f.Add(uint8(0), alarmhandler.EnvAlarmTopicArn, "arn:aws:sns:us-east-1:1234567890123:alarms")
	f.Add(uint8(1), controller.EnvHalfOpenMaxCalls, "9223372036854775807")
	f.Add(uint8(1), controller.EnvProbeTimeoutSeconds, "9223372036")
	f.Fuzz(func(t *testing.T, lambda uint8, name, value string) {
		envs := []map[string]string{alarmEnv, runnerEnv, publisherEnv}
		base := envs[int(lambda)%len(envs)]
		env := map[string]string{name: value}
		for k, v := range base {
			if k != name {
				env[k] = v
			}
		}
		get := func(k string) string { return env[k] }
		var got, again any
		var err error
		switch int(lambda) % len(envs) {
		case 0:
			var c alarmhandler.Config
			if c, err = alarmhandler.FromEnv(get); err == nil {
				_, _, _ = c.Account(), c.AlarmArn("d"), c.FunctionArn()
				back, err2 := alarmhandler.FromEnv(func(k string) string { return c.Env()[k] })
				got, again, err = c, back, err2
			}
		case 1:
			var c controller.Config
			if c, err = controller.FromEnv(get); err == nil {
				back, err2 := controller.FromEnv(func(k string) string { return c.Env()[k] })
				got, again, err = c, back, err2
			}
		default:
			var c eventpublisher.Config
			if c, err = eventpublisher.FromEnv(get); err == nil {
				back, err2 := eventpublisher.FromEnv(func(k string) string { return c.Env()[k] })
				got, again, err = c, back, err2
			}
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal that says nothing")
			}
			if again != nil {
				t.Fatalf("%s=%q accepted, but its rendering back is refused: %v", name, value, err)
			}
			return
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("%s=%q reads as %+v, which renders back as %+v", name, value, got, again)
		}
	})
}
