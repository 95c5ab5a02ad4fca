package syncapi

import "context"

// Forgotten tells which rooms a user forgot (POST /rooms/{roomId}/forget);
// the client API keeps that, and /sync leaves those rooms out of
// rooms.leave. A forget holds only until the user's membership changes
// again, which the implementation decides.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidforget
type Forgotten interface {
	IsForgotten(ctx context.Context, userID, roomID string) (bool, error)
}

// isForgotten is false when no Forgotten was given (tools and benchmarks
// that run the sync API alone).
func (s *SyncAPI) isForgotten(ctx context.Context, userID, roomID string) (bool, error) {
	if s.forgotten == nil {
		return false, nil
	}
	return s.forgotten.IsForgotten(ctx, userID, roomID)
}
