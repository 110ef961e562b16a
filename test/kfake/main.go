// Command kfake runs an in-memory Kafka cluster (franz-go's kfake) on
// 127.0.0.1 for local previews and tests of the messaging platform.
//
// Usage:
//
//	kfake [-port 19092] [-brokers 3] [-ports 19092,19093,19094] [-acls]
//
// Brokers listen on consecutive ports starting at -port unless -ports lists
// them explicitly. Once the cluster is up a single line
//
//	kfake ready bootstrap=127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094
//
// is printed to stdout. SIGINT or SIGTERM shuts the cluster down and the
// process exits 0.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 19092, "port of the first broker; further brokers use the following ports")
	brokers := flag.Int("brokers", 3, "number of brokers")
	portList := flag.String("ports", "", "comma-separated broker ports (overrides -port and -brokers)")
	clusterID := flag.String("cluster-id", "kfake-messaging-platform", "cluster id reported to clients")
	enableACLs := flag.Bool("acls", false, "enforce ACLs (they are always stored; enforcement needs SASL users)")
	flag.Parse()

	ports, err := brokerPorts(*port, *brokers, *portList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(2)
	}

	opts := []kfake.Opt{
		kfake.NumBrokers(len(ports)),
		kfake.Ports(ports...),
		kfake.ClusterID(*clusterID),
	}
	if *enableACLs {
		opts = append(opts, kfake.EnableACLs())
	}

	// Register for signals before the cluster is up so that a signal sent
	// right after the ready line is never lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake: start cluster:", err)
		os.Exit(1)
	}

	fmt.Printf("kfake ready bootstrap=%s\n", strings.Join(cluster.ListenAddrs(), ","))

	sig := <-sigs
	fmt.Fprintf(os.Stderr, "kfake: %s received, shutting down\n", sig)
	cluster.Close()
}

func brokerPorts(first, n int, list string) ([]int, error) {
	if list != "" {
		var ports []int
		for _, f := range strings.Split(list, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("bad port %q in -ports", f)
			}
			ports = append(ports, p)
		}
		return ports, nil
	}
	if n < 1 {
		return nil, fmt.Errorf("-brokers must be at least 1, got %d", n)
	}
	if first <= 0 || first+n-1 > 65535 {
		return nil, fmt.Errorf("bad -port %d for %d brokers", first, n)
	}
	ports := make([]int, n)
	for i := range ports {
		ports[i] = first + i
	}
	return ports, nil
}
