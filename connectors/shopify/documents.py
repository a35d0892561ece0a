"""Every GraphQL document the Shopify connector sends, in one place, for the pinned API version.

The tests validate each of them against the Admin API schema of API_VERSION (tests/fixtures), so
a field Shopify renames or removes fails a test, not a sync.
"""

from __future__ import annotations

API_VERSION = "2026-10"

# Each order of a page is charged for this many line items, fulfillments and refunds up front
# (about 50 points): enough for nearly every order, small enough for pages of about 18 orders.
LINE_ITEMS = 10
FULFILLMENTS = 3
REFUNDS = 3

ORDER_PARTS = f"""
fragment OrderParts on Order {{
  id
  name
  email
  phone
  createdAt
  updatedAt
  cancelledAt
  closed
  note
  tags
  displayFinancialStatus
  displayFulfillmentStatus
  statusPageUrl
  presentmentCurrencyCode
  totalPriceSet {{ presentmentMoney {{ amount currencyCode }} }}
  customer {{
    id
    displayName
    defaultEmailAddress {{ emailAddress }}
    defaultPhoneNumber {{ phoneNumber }}
  }}
  shippingAddress {{
    firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone
  }}
  lineItems(first: {LINE_ITEMS}) {{
    nodes {{
      id title variantTitle sku quantity refundableQuantity
      originalUnitPriceSet {{ presentmentMoney {{ amount }} }}
    }}
  }}
  fulfillments(first: {FULFILLMENTS}) {{
    id status displayStatus createdAt deliveredAt
    trackingInfo(first: 1) {{ company number url }}
  }}
  refunds(first: {REFUNDS}) {{
    id createdAt note
    totalRefundedSet {{ presentmentMoney {{ amount currencyCode }} }}
  }}
}}
"""

CUSTOMER_PARTS = """
fragment CustomerParts on Customer {
  id
  displayName
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
  numberOfOrders
  amountSpent { amount currencyCode }
  tags
  note
  updatedAt
}
"""

# Orders changed since a moment, oldest change first, so the cursor only moves forward.
ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderParts }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ORDER_PARTS
)

CUSTOMERS_PAGE = (
    """
query CustomersPage($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...CustomerParts }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + CUSTOMER_PARTS
)

# One person's orders: the shop customer with that email address (exact), and orders whose own
# email is that address (guest checkouts, which have no customer).
ORDERS_OF_EMAIL = (
    """
query OrdersOfEmail($email: String!, $query: String!, $first: Int!) {
  customerByIdentifier(identifier: {emailAddress: $email}) {
    ...CustomerParts
    orders(first: $first, sortKey: UPDATED_AT, reverse: true) { nodes { ...OrderParts } }
  }
  orders(first: $first, query: $query, sortKey: UPDATED_AT, reverse: true) {
    nodes { ...OrderParts }
  }
}
"""
    + CUSTOMER_PARTS
    + ORDER_PARTS
)

ORDER = (
    """
query Order($id: ID!) {
  order(id: $id) { ...OrderParts }
}
"""
    + ORDER_PARTS
)

ORDER_BY_NAME = """
query OrderByName($query: String!) {
  orders(first: 1, query: $query) { nodes { id name } }
}
"""

SUGGESTED_REFUND = """
query SuggestedRefund(
  $id: ID!
  $lines: [RefundLineItemInput!]
  $shipping: Boolean
  $full: Boolean
  $method: RefundMethodAllocation
) {
  order(id: $id) {
    id
    name
    presentmentCurrencyCode
    suggestedRefund(
      refundLineItems: $lines
      refundShipping: $shipping
      suggestFullRefund: $full
      refundMethodAllocation: $method
    ) {
      amountSet { presentmentMoney { amount currencyCode } }
      subtotalSet { presentmentMoney { amount } }
      totalTaxSet { presentmentMoney { amount } }
      shipping { amountSet { presentmentMoney { amount } } }
      refundLineItems {
        quantity
        lineItem { id title }
        subtotalSet { presentmentMoney { amount } }
      }
      suggestedTransactions {
        gateway
        kind
        amountSet { presentmentMoney { amount currencyCode } }
        parentTransaction { id }
      }
    }
  }
}
"""

REFUND_CREATE = (
    """
mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id createdAt totalRefundedSet { presentmentMoney { amount currencyCode } } }
    order { ...OrderParts }
    userErrors { field message }
  }
}
"""
    + ORDER_PARTS
)

ORDER_CANCEL = """
mutation OrderCancel(
  $id: ID!
  $reason: OrderCancelReason!
  $restock: Boolean!
  $notify: Boolean
  $staffNote: String
  $refundMethod: OrderCancelRefundMethodInput
) {
  orderCancel(
    orderId: $id
    reason: $reason
    restock: $restock
    notifyCustomer: $notify
    staffNote: $staffNote
    refundMethod: $refundMethod
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

JOB = """
query Job($id: ID!) {
  job(id: $id) { id done }
}
"""

ORDER_UPDATE = (
    """
mutation OrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { ...OrderParts }
    userErrors { field message }
  }
}
"""
    + ORDER_PARTS
)

TRACKING_UPDATE = """
mutation TrackingUpdate($id: ID!, $tracking: FulfillmentTrackingInput!, $notify: Boolean) {
  fulfillmentTrackingInfoUpdate(
    fulfillmentId: $id
    trackingInfoInput: $tracking
    notifyCustomer: $notify
  ) {
    fulfillment { id trackingInfo(first: 1) { company number url } }
    userErrors { field message }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 10) { nodes { id status supportedActions { action } } }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id trackingInfo(first: 1) { company number url } }
    userErrors { field message }
  }
}
"""

TAGS_ADD = """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

# What a replacement copies: the items with their variants, the buyer and the address.
REPLACEMENT_SOURCE = """
query ReplacementSource($id: ID!) {
  order(id: $id) {
    id
    name
    email
    presentmentCurrencyCode
    customer { id }
    shippingAddress {
      firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone
    }
    lineItems(first: 100) {
      nodes {
        title sku quantity
        variant { id }
        originalUnitPriceSet { presentmentMoney { amount } }
      }
    }
  }
}
"""

DRAFT_ORDER_CREATE = """
mutation DraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id name invoiceUrl totalPriceSet { presentmentMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""

# A replacement carries a tag made from its idempotency key, so a retry can find it.
DRAFTS_TAGGED = """
query DraftsTagged($query: String!) {
  draftOrders(first: 1, query: $query) {
    nodes { id name invoiceUrl totalPriceSet { presentmentMoney { amount currencyCode } } }
  }
}
"""

ACCESS = """
query Access {
  shop { name myshopifyDomain currencyCode }
  currentAppInstallation { accessScopes { handle } }
}
"""

ALL = {
    "OrdersPage": ORDERS_PAGE,
    "CustomersPage": CUSTOMERS_PAGE,
    "OrdersOfEmail": ORDERS_OF_EMAIL,
    "Order": ORDER,
    "OrderByName": ORDER_BY_NAME,
    "SuggestedRefund": SUGGESTED_REFUND,
    "RefundCreate": REFUND_CREATE,
    "OrderCancel": ORDER_CANCEL,
    "Job": JOB,
    "OrderUpdate": ORDER_UPDATE,
    "TrackingUpdate": TRACKING_UPDATE,
    "FulfillmentOrders": FULFILLMENT_ORDERS,
    "FulfillmentCreate": FULFILLMENT_CREATE,
    "TagsAdd": TAGS_ADD,
    "ReplacementSource": REPLACEMENT_SOURCE,
    "DraftOrderCreate": DRAFT_ORDER_CREATE,
    "DraftsTagged": DRAFTS_TAGGED,
    "Access": ACCESS,
}
