package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// BenchmarkRepositoriesDataSource reads 10,000 repositories through the
// data source's Read (client, paging, mapping and the framework's state
// conversion) against the in-memory emulator, and reports the requests each
// read sends besides time and memory (-benchmem).
func BenchmarkRepositoriesDataSource(b *testing.B) {
	const repositories = 10000
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		b.Run(fmt.Sprintf("%s/%d", product, repositories), func(b *testing.B) {
			setup := newBulkSetup(b, product, repositories)
			client := setup.client(b)
			ds := NewRepositoriesDataSource()
			config := map[string]string{"workspace": setup.workspace}
			ctx := context.Background()
			setup.srv.ResetCounts()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, diags := readDirect(ctx, ds, client, config); diags.HasError() {
					b.Fatalf("read: %v", diags)
				}
			}
			b.StopTimer()
			total := 0
			for _, n := range setup.srv.RequestCounts() {
				total += n
			}
			b.ReportMetric(float64(total)/float64(b.N), "requests/op")
			b.ReportMetric(repositories, "repositories/op")
		})
	}
}
