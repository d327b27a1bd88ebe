package report

// Definition says how one figure of the report is counted.
type Definition struct {
	Figure string
	Text   string
}

// Definitions is the Definitions sheet: how each figure is counted.
var Definitions = []Definition{
	{"Call", "One participant's connection to a meeting room or video system, from connect to disconnect, as the video platform reports it when the participant leaves. " +
		"A participant who drops and rejoins makes a second call. A call delivered more than once is counted once: it is known by the participant's ID. " +
		"The signalling leg of a browser join, which carries no audio or video, is not a call. " +
		"Conference events, which every conferencing node hosting part of a meeting sends, are not counted: a meeting spread over several nodes counts once."},
	{"Period and day", "A call belongs to the period, and to the day, in which it started, in the company's time zone, with all its minutes, even when it ends after midnight or after the period."},
	{"Calls", "The number of calls."},
	{"Call minutes", "The durations of the calls added up, in minutes. Two people in the same meeting for an hour make 120 call minutes."},
	{"Room minutes", "The minutes during which a room had at least one participant: the calls in the room are laid over each other and time they overlap counts once. " +
		"Two people in the same room for the same hour make 60 room minutes. A busy stretch counts on the day it began."},
	{"Calls of a room", "Calls to the room's video address (for a call the room dialled out, from it), or into a meeting named by the room's address."},
	{"Calls of a video system", "Calls the video system took part in: it called from its video address, or was called at it."},
	{"Calls of a member", "Calls from the member's own video address, or from a video system twinned to the member at the time of the call. " +
		"Others' calls into the member's personal room are not the member's calls; they make the member's personal room minutes."},
	{"Personal room minutes", "The room minutes of the member's personal room."},
	{"Whose call", "A call belongs to the company of its room; failing that, of its video system, of its member, or of the video domain of the address dialled. " +
		"Calls that match no company are kept by the service but reported to no company."},
	{"Removed and former", "Calls of rooms, video systems and members deleted since are still counted in the totals, on one line each."},
	{"Licences, members, invites", "As at the time the report was made, not during the period. Licences used are licensed members plus pending invites, since a pending invite holds a licence."},
	{"Times", "In the company's time zone, shown on the Summary."},
}
