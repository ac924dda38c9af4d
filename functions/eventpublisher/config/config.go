// Package config is the event publisher's environment contract: the
// component renders the function's environment with Config.Env, the function
// reads it back at cold start with FromEnv. It imports no AWS SDK, so the
// provider can link it.
package config

import (
	"fmt"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// Config is the publisher's environment.
type Config struct {
	BusName   string // EVENT_BUS_NAME: a bus name or ARN; "default" for the account's default bus
	TableName string // TABLE_NAME: for the detail
	// ServiceName is not read: the component sets SERVICE_NAME on every
	// Lambda of ours, this one included, and Env keeps it so.
	ServiceName string
	// Attempts is how many times one entry is put before its record is
	// reported failed (Lambda then re-delivers it under the mapping's retry
	// policy).
	Attempts int
	// CallBudget is the least time left before the invocation's deadline for
	// which a PutEvents call is started (DefaultCallBudget when zero): a call
	// cut short by the deadline may have been accepted, and its events would
	// be put again on re-delivery.
	CallBudget time.Duration
	// ReturnReserve is kept before the deadline to return the response
	// (DefaultReturnReserve when zero): each call's own deadline is the
	// invocation's less it.
	ReturnReserve time.Duration
}

// The deadline margins. The publisher's timeout is 30 s (component/events.go)
// and a PutEvents call takes tens of milliseconds, but the SDK's retryer may
// hold a throttled call for seconds (up to 20 s of back-off by default: AWS
// SDK for Go v2, "Retries and timeouts").
const (
	DefaultCallBudget    = 2 * time.Second
	DefaultReturnReserve = 500 * time.Millisecond
)

// Environment variables the publisher reads; the component sets both.
const (
	EnvBusName   = "EVENT_BUS_NAME"
	EnvTableName = lambdaenv.TableName
)

// Env renders c as the function's environment, as FromEnv reads it (the
// attempts and margins are the code's, not the environment's).
func (c Config) Env() map[string]string {
	return map[string]string{EnvBusName: c.BusName, EnvTableName: c.TableName, lambdaenv.ServiceName: c.ServiceName}
}

// FromEnv reads the configuration, naming the variable that is wrong.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{BusName: getenv(EnvBusName), TableName: getenv(EnvTableName), Attempts: 3}
	if c.BusName == "" {
		return Config{}, fmt.Errorf("%s is not set: the event bus to publish transitions on (\"default\" for the default bus)", EnvBusName)
	}
	if c.TableName == "" {
		return Config{}, fmt.Errorf("%s is not set: the circuit table whose stream this function reads", EnvTableName)
	}
	return c, nil
}

// Handler is the event publisher's role name, its function's Handler setting
// (functions/eventpublisher/main.go checks it).
const Handler = "eventpublisher"
