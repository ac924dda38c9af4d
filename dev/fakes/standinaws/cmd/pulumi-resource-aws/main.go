// Command pulumi-resource-aws is the TEST-ONLY stand-in for the aws provider
// plugin (see package standinaws). `make standin-aws` builds it into
// bin/standin/, a directory only the engine tests and `make preview` put in
// front of the engine: never install it as your aws plugin.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	pulumiprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	err := pulumiprovider.Main("aws", func(host *pulumiprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return standinaws.New(host, os.Getenv(standinaws.DirEnv))
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", standinaws.Banner, err)
		os.Exit(1)
	}
}
