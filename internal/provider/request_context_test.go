package provider

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"weak"
)

type requestValueKey struct{}

// The provider server lets go of each request's context when the request
// returns: what the request carried (terraform-plugin-go's loggers in real
// life) can be collected although the framework keeps a cancel function of
// every request until StopProvider (request_context.go).
func TestServerReleasesRequestContexts(t *testing.T) {
	server := NewServer("test")()
	streams := map[string]bool{"InvokeAction": true, "ListResource": true, "ReadStateBytes": true, "WriteStateBytes": true, "StopProvider": true}
	v := reflect.ValueOf(server)
	typ := reflect.TypeOf((*fullProviderServer)(nil)).Elem()
	for i := 0; i < typ.NumMethod(); i++ {
		name := typ.Method(i).Name
		if streams[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			method := v.MethodByName(name)
			held := func() (held weak.Pointer[[1 << 16]byte]) {
				payload := new([1 << 16]byte)
				held = weak.Make(payload)
				// An empty request: some calls panic on it, after the
				// framework has registered the context, which is the point.
				defer func() { _ = recover() }()
				ctx := context.WithValue(context.Background(), requestValueKey{}, payload)
				method.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.New(method.Type().In(1).Elem())})
				return held
			}()
			runtime.GC()
			runtime.GC()
			if held.Value() != nil {
				t.Errorf("%s: the request's context is still reachable after the request returned", name)
			}
		})
	}
}

func TestRequestContextRelease(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), requestValueKey{}, "v"))
	defer cancel()
	rc := newRequestContext(parent)
	if rc.Value(requestValueKey{}) != "v" || rc.Err() != nil || rc.Done() != parent.Done() {
		t.Fatal("before release: not its parent")
	}
	child, stop := context.WithCancel(rc)
	defer stop()
	rc.release()
	if rc.Value(requestValueKey{}) != nil {
		t.Error("after release: still the parent's values")
	}
	select {
	case <-rc.Done():
	default:
		t.Error("after release: not done")
	}
	if !errors.Is(rc.Err(), context.Canceled) {
		t.Errorf("after release: Err %v, want Canceled", rc.Err())
	}
	// A context derived before release still ends with the parent.
	cancel()
	<-child.Done()
}
