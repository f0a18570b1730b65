package bitbucket

import (
	"context"
	"errors"
	"fmt"
)

// A 404 for an object Terraform manages means "deleted outside Terraform":
// the resource drops it from state and plans a new one. A proxy in front of
// Data Center, or a node restarting behind a load balancer, can answer 404
// for an object that exists; trusting that one answer would leave the object
// on the server but not in state, and the next apply would create a
// duplicate. So a 404 on a managed object's read is confirmed by a second
// read, and a delete is done only once a read says the object is gone.

// confirmNotFound repeats read once when it answers not found.
func confirmNotFound[T any](read func() (T, error)) (T, error) {
	v, err := read()
	if errors.Is(err, ErrNotFound) {
		return read()
	}
	return v, err
}

// deleteConfirmed sends del, then reads the object: a 404 read means done.
// When the object is still there the delete is sent once more (the first
// one's success answer was not true); when it survives that too, the error
// says so and the resource stays in state.
func deleteConfirmed(ctx context.Context, what string, del func(context.Context) error, read func(context.Context) error) error {
	for attempt := 0; attempt < 2; attempt++ {
		if err := del(ctx); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		err := read(ctx)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking that the %s is gone after deleting it: %w", what, err)
		}
	}
	return fmt.Errorf("the %s still exists after Bitbucket answered two deletes; it was not deleted", what)
}
