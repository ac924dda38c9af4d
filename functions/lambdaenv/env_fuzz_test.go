package lambdaenv_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	controller "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	eventpublisher "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
	healthrunner "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
	reconciler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// The environments the component renders for our Lambdas (each contract's
// Env of a sound configuration): the seeds, and what a fuzzed variable is
// set into. Each contract reads an environment (FromEnv) and renders one
// back (Env).
var (
	policy    = circuit.Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 600 * time.Second, BackoffMultiplier: 2}
	alarmConf = alarmhandler.Config{TableName: "circuits", ServiceName: "payments", DownstreamAlarmName: "d", HealthcheckAlarmName: "h", SlowCallAlarmName: "s", Policy: policy, HealthcheckAlarmWindow: 240 * time.Second, TopicArn: "arn:aws:sns:us-east-1:123456789012:alarms", ProbeTimeout: 40 * time.Second}
	contracts = []contract{
		contractOf(alarmConf, alarmhandler.FromEnv, func(c alarmhandler.Config) { _, _, _ = c.Account(), c.AlarmArn("d"), c.FunctionArn("f") }),
		contractOf(controller.Config{TableName: "circuits", ServiceName: "payments", Policy: policy, Probes: circuit.ProbePolicy{MaxCalls: 2, Timeout: 40 * time.Second}}, controller.FromEnv, nil),
		contractOf(healthrunner.Config{TableName: "circuits", ServiceName: "payments", Policy: policy, ProbeTimeout: 40 * time.Second, FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:health:live", Healthcheck: circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 240 * time.Second}}, healthrunner.FromEnv, nil),
		contractOf(reconciler.Config{Config: alarmConf, AlarmHandlerName: "payments-alarm-handler", DeadLetterQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"}, reconciler.FromEnv, func(c reconciler.Config) { _ = c.AlarmHandlerArn() }),
		contractOf(eventpublisher.Config{BusName: "default", TableName: "circuits", ServiceName: "payments"}, eventpublisher.FromEnv, nil),
	}
)

// contract is one Lambda's environment contract: a sound environment, and
// its reading and rendering back.
type contract struct {
	env       map[string]string
	roundTrip func(getenv func(string) string) (got, again any, err error)
}

func contractOf[C interface{ Env() map[string]string }](sound C, fromEnv func(func(string) string) (C, error), use func(C)) contract {
	return contract{env: sound.Env(), roundTrip: func(getenv func(string) string) (any, any, error) {
		c, err := fromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		if use != nil {
			use(c)
		}
		back, err := fromEnv(func(k string) string { return c.Env()[k] })
		return c, back, err
	}}
}

// FuzzLambdaEnvironment: one variable of a Lambda's environment set to any
// value (the component writes them; anyone who may update the function's
// configuration can too). Whatever it holds, reading the configuration
// does not panic (a panic at start fails every invocation with no message
// saying why), a refusal names what is wrong, and what is accepted renders
// back (Env) to an environment that reads as the same configuration.
func FuzzLambdaEnvironment(f *testing.F) {
	for i, c := range contracts {
		for name, value := range c.env {
			f.Add(uint8(i), name, value)
			f.Add(uint8(i), name, "")
		}
	}
	f.Add(uint8(0), alarmhandler.EnvAlarmTopicArn, "arn:aws:sns:us-east-1:1234567890123:alarms")
	f.Add(uint8(1), controller.EnvHalfOpenMaxCalls, "9223372036854775807")
	f.Add(uint8(1), controller.EnvProbeTimeoutSeconds, "9223372036")
	f.Fuzz(func(t *testing.T, lambda uint8, name, value string) {
		c := contracts[int(lambda)%len(contracts)]
		env := map[string]string{name: value}
		for k, v := range c.env {
			if k != name {
				env[k] = v
			}
		}
		got, again, err := c.roundTrip(func(k string) string { return env[k] })
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
