package actions

import "github.com/lbtop/lbtop/model"

// AdminNotes turns LastBy's entries into what the Store's diagnosis reads
// (model.Store.SetAdminNotes): who took each backend out, how, why and
// when.
func AdminNotes(by map[model.BackendRef]Entry) map[model.BackendRef]model.AdminNote {
	out := make(map[model.BackendRef]model.AdminNote, len(by))
	for ref, e := range by {
		out[ref] = model.AdminNote{User: e.User.Login, Action: e.Action, Reason: e.Reason, Since: e.Time}
	}
	return out
}
