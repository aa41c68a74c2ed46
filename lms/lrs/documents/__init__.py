"""The xAPI document resources of the LRS (State, Activity Profile, Agent Profile), the
Activities and Agents resources, /xapi/about, and cmi5 launch sessions."""
