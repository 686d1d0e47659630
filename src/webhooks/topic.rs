//! The events a webhook can receive, by Commerce Layer's names.

/// One kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A reset was created: its payload carries the token, for the email's link.
    ResetCreated,
    /// A reset was redeemed: the customer's password changed.
    ResetRedeemed,
    /// A reset was deleted (the payload carries its id only).
    ResetDeleted,
    /// A customer was created.
    CustomerCreated,
    /// A guest got a first password (by an update or by a reset).
    CustomerPasswordCreated,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 5] = [
        Topic::ResetCreated,
        Topic::ResetRedeemed,
        Topic::ResetDeleted,
        Topic::CustomerCreated,
        Topic::CustomerPasswordCreated,
    ];

    /// Commerce Layer's name of the topic.
    pub const fn as_str(self) -> &'static str {
        match self {
            Topic::ResetCreated => "customer_password_resets.create",
            Topic::ResetRedeemed => "customer_password_resets.reset_password",
            Topic::ResetDeleted => "customer_password_resets.destroy",
            Topic::CustomerCreated => "customers.create",
            Topic::CustomerPasswordCreated => "customers.create_password",
        }
    }

    /// The topic of a name.
    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.as_str() == name)
    }

    /// True for the topic whose payload carries a reset's token in clear.
    pub fn carries_token(self) -> bool {
        self == Topic::ResetCreated
    }
}

/// Every topic's name, in [`Topic::ALL`]'s order.
pub const TOPIC_NAMES: [&str; 5] = [
    Topic::ALL[0].as_str(),
    Topic::ALL[1].as_str(),
    Topic::ALL[2].as_str(),
    Topic::ALL[3].as_str(),
    Topic::ALL[4].as_str(),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_parses_back_from_its_name() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
        }
        assert_eq!(TOPIC_NAMES.len(), Topic::ALL.len());
        assert_eq!(Topic::parse("orders.create"), None);
    }
}
