#!/usr/bin/env bash
# The README's demo: start the Bitbucket emulator, point a dev_overrides CLI
# configuration at the freshly built provider, apply examples/quickstart,
# show the outputs, prove a second plan has no changes, stop the emulator.
# Usage: demo.sh [datacenter|cloud]   (run through `make demo`)
set -euo pipefail

product="${1:-datacenter}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/bitbucket-demo.XXXXXX")"
emulator_pid=""

cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the emulator"
go build -o "$work/bitbucket-emulator" "$root/internal/emulator/cmd/bitbucket-emulator"

step "Starting the Bitbucket $product emulator on 127.0.0.1"
"$work/bitbucket-emulator" -product "$product" -url-file "$work/url" > "$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "the emulator did not start:"; cat "$work/emulator.log"; exit 1; }
base_url="$(cat "$work/url")"
echo "emulator: $base_url"

# The provider reads its settings from BITBUCKET_* variables, exactly as it
# would for a real server; only these lines change for one.
export BITBUCKET_BASE_URL="$base_url"
if [ "$product" = "cloud" ]; then
  export BITBUCKET_PRODUCT=cloud BITBUCKET_USERNAME=alice@example.com BITBUCKET_TOKEN=alice-api-token
  export TF_VAR_workspace=acme TF_VAR_push_events='["repo:push"]' TF_VAR_product=cloud
  export TF_VAR_service_token=acme-workspace-access-token # an access token seeded in the emulator
else
  export BITBUCKET_USERNAME=admin BITBUCKET_TOKEN=admin-password
  export TF_VAR_workspace=PRJ TF_VAR_push_events='["repo:refs_changed"]' TF_VAR_product=datacenter
fi
export TF_VAR_webhook_secret="demo-$RANDOM-$RANDOM"

cat > "$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "bitbucket-iac/bitbucket" = "$root/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
# No `terraform init`: with dev_overrides it is not needed, and it would try
# to reach the public registry, which this demo must not depend on.
cp -R "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"

step "terraform apply examples/quickstart"
terraform apply -auto-approve -input=false -no-color

step "terraform output"
terraform output -no-color

step "Second plan: nothing may change (terraform plan -detailed-exitcode)"
set +e
terraform plan -detailed-exitcode -input=false -no-color
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "the second plan was not empty (exit code $code)"; exit 1; fi

step "Destroying and stopping the emulator"
terraform destroy -auto-approve -input=false -no-color > /dev/null
echo "demo finished"
